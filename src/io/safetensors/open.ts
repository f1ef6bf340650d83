/**
 * Lazy access to a safetensors file: `openSafetensors` reads and validates only the
 * header, and each `get(name)` reads one tensor on demand. For partial loads and for
 * checkpoints too large to load at once (tensors can be moved to the GPU one by one).
 *
 * @example
 *   using file = openSafetensors('big.safetensors');
 *   for (const name of file.keys()) {
 *     const t = file.get(name, { device: 'cuda' });
 *     // ...
 *   }
 */
import { close, closeSync, openSync } from 'node:fs';
import type { DType, Tensor } from '../../tensor/index.js';
import { SafetensorsError, quoteName } from './error.js';
import type { ParsedHeader, TensorEntry } from './header.js';
import { checkLoadOptions, readTensor, type TensorLoadOptions } from './materialize.js';
import { fileSource, readHeader, type ByteSource, type HeaderOptions } from './source.js';

/** What the header says about one tensor. */
export interface SafetensorsTensorInfo {
  /** The finegrain dtype, or undefined when finegrain has none (see `stDtype`). */
  dtype: DType | undefined;
  /** The dtype as the file names it: `F32`, `BF16`, `U16`, ... */
  stDtype: string;
  /** The tensor's shape ([] for a scalar). */
  shape: number[];
  /** Byte range in the data section, end exclusive. */
  dataOffsets: [number, number];
}

// The safety net for files nobody closed: the descriptor is released when the object is collected.
const unclosed = new FinalizationRegistry<number>((fd) => close(fd, () => {}));

/**
 * An open safetensors file whose header has been validated; tensors are read on `get()`.
 *
 * @example
 *   using file = openSafetensors('ckpt.safetensors');
 *   const bias = file.has('fc.bias') ? file.get('fc.bias') : null;
 */
export class SafetensorsFile {
  /** The file, as given to `openSafetensors`. */
  readonly path: string;
  /** The file format, for code that handles several (`WeightsFile`). */
  readonly format = 'safetensors' as const;
  /** The `__metadata__` strings ({} when there are none). */
  readonly metadata: Record<string, string>;
  #fd: number | undefined;
  readonly #source: ByteSource;
  readonly #header: ParsedHeader;
  readonly #dataStart: number;

  /** @internal Use `openSafetensors()`. */
  constructor(path: string, fd: number, source: ByteSource, header: ParsedHeader, dataStart: number) {
    this.path = path;
    this.#fd = fd;
    this.#source = source;
    this.#header = header;
    this.#dataStart = dataStart;
    this.metadata = header.metadata;
    unclosed.register(this, fd, this);
  }

  /** Tensor names, in the order of their bytes in the file. */
  keys(): string[] {
    return this.#header.tensors.map((t) => t.name);
  }

  /** Whether the file holds a tensor called `name`. */
  has(name: string): boolean {
    return this.#header.byName.has(name);
  }

  /** The names in the order of their bytes in the file (the same as `keys()`). */
  keysInFileOrder(): string[] {
    return this.keys();
  }

  /** Dtype, shape and offsets of one tensor, without reading it. */
  info(name: string): SafetensorsTensorInfo {
    const e = this.#entry(name);
    return { dtype: e.dtype, stDtype: e.stDtype, shape: [...e.shape], dataOffsets: [e.begin, e.end] };
  }

  /** Reads one tensor (a new tensor each call; the caller owns it). */
  get(name: string, options: TensorLoadOptions = {}): Tensor {
    checkLoadOptions(options);
    if (this.#fd === undefined) throw new Error(`${this.path}: the safetensors file is closed`);
    return readTensor(this.#source, this.#dataStart, this.#entry(name), options);
  }

  /** Releases the file descriptor. Safe to call twice. */
  close(): void {
    if (this.#fd === undefined) return;
    unclosed.unregister(this);
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** `close()`, for `using file = openSafetensors(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #entry(name: string): TensorEntry {
    const e = this.#header.byName.get(name);
    if (!e) throw new SafetensorsError('KEY_NOT_FOUND', `no tensor named ${quoteName(name)} in ${this.path}`, name);
    return e;
  }
}

/**
 * Opens a safetensors file and validates its header (the whole layout, against the file's
 * size) without reading any tensor. Close it with `close()` or `using`.
 *
 * @example
 *   const file = openSafetensors('ckpt.safetensors');
 *   console.log(file.keys(), file.info('fc.weight').shape);
 *   const w = file.get('fc.weight');
 *   file.close();
 */
export function openSafetensors(path: string, options: HeaderOptions = {}): SafetensorsFile {
  const fd = openSync(path, 'r');
  try {
    const source = fileSource(fd);
    const { header, dataStart } = readHeader(source, options);
    return new SafetensorsFile(path, fd, source, header, dataStart);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
