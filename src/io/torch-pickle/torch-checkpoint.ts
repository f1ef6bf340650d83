/**
 * PyTorch checkpoints (`.pth`, `.pt`, `.bin`, `.ckpt`) read in TypeScript, without Python
 * and without running the file: the zip format of torch.save ≥ 1.6 and the legacy format
 * before it, through an allowlisted pickle machine. `openTorchCheckpoint` reads only the pickle
 * and the archive's directory; each `get(name)` then reads one tensor, so a model can be
 * loaded tensor by tensor and a several-GB file is never held in memory whole.
 *
 * @example
 *   using ckpt = openTorchCheckpoint('resnet50-0676ba61.pth');
 *   for (const name of ckpt.keys()) console.log(name, ckpt.info(name).shape);
 *   const w = ckpt.get('fc.weight');
 *
 *   const { tensors, note } = loadTorchCheckpoint('last.ckpt#state_dict');  // Lightning
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { empty, isFloating, scope, type DType, type Tensor } from '../../tensor/index.js';
import type { TensorLoadOptions } from '../safetensors/materialize.js';
import { crc32 } from './crc32.js';
import { fail, TorchCheckpointError } from './error.js';
import { looksLikeLegacy, looksLikeTar, readLegacyCheckpoint } from './legacy-checkpoint.js';
import type { RawCheckpoint, ReadLimits } from './raw-checkpoint.js';
import { directSpan, isRowMajor, readTensorRef } from './read-tensor.js';
import { preadTensors } from '../tensor-bytes.js';
import { viewExtent } from './rebuild-tensor.js';
import { chooseStateDict, splitEntry } from './state-dict-entry.js';
import { TensorRef, type PyValue } from './values.js';
import { readZipCheckpoint } from './zip-checkpoint.js';
import { looksLikeZip } from './zip-archive.js';

/** Options of `openTorchCheckpoint` and `loadTorchCheckpoint`: which entry holds the state dict, and the reader's size limits. */
export interface TorchCheckpointOptions extends ReadLimits {
  /** The entry holding the state dict ('model_ema', nested 'a/b'); also written `path#entry`. */
  entry?: string;
}

/** What a checkpoint says about one tensor, known without reading it. */
export interface TorchTensorInfo {
  /** The finegrain dtype, or undefined for element types finegrain has none of (complex, quantized). */
  dtype: DType | undefined;
  /** PyTorch's name for the element type: 'FloatStorage', 'bfloat16'. */
  torchType: string;
  /** The tensor's shape ([] for a scalar). */
  shape: number[];
}

const unclosed = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
});

/** Whether the file's first bytes are one of PyTorch's checkpoint formats (zip or legacy pickle). */
export function isTorchCheckpoint(first: Uint8Array): boolean {
  return looksLikeZip(first) || looksLikeLegacy(first);
}

function readRaw(fd: number, file: string, limits: ReadLimits): RawCheckpoint {
  const first = new Uint8Array(8);
  readSync(fd, first, 0, 8, 0);
  if (looksLikeZip(first)) return readZipCheckpoint(fd, file, limits);
  if (looksLikeLegacy(first)) return readLegacyCheckpoint(fd, file, limits);
  if (looksLikeTar(fd)) fail('UNSUPPORTED', `${file} is in PyTorch's pre-0.4 tar format: load and re-save it with a current PyTorch`);
  return fail('NOT_A_CHECKPOINT', `${file} is not a PyTorch checkpoint (neither torch.save's zip format nor its legacy pickle format)`);
}

/** An open checkpoint: its state dict's names and shapes are known, tensors are read on `get()`. */
export class TorchCheckpoint {
  /** The file, without any `#entry` part. */
  readonly path: string;
  /** Which of torch.save's formats the file is in: the zip archive (PyTorch 1.6 and later) or the legacy pickle stream. */
  readonly format: 'zip' | 'legacy';
  /** The entry the state dict came from ('' for the whole file). */
  readonly entry: string;
  /** What was chosen and stripped, in one line (print it when the choice was automatic). */
  readonly note: string;
  /** The whole unpickled object (tensors as TensorRef), for reading what else the file holds. */
  readonly root: PyValue;
  #fd: number | undefined;
  readonly #raw: RawCheckpoint;
  readonly #tensors: Map<string, TensorRef>;

  /** @internal Use `openTorchCheckpoint()`. */
  constructor(path: string, fd: number, raw: RawCheckpoint, entry: string | undefined) {
    const chosen = chooseStateDict(raw.root, entry, path);
    this.path = path;
    this.format = raw.format;
    this.root = raw.root;
    this.entry = chosen.entry;
    this.note = chosen.note;
    this.#fd = fd;
    this.#raw = raw;
    this.#tensors = chosen.tensors;
    unclosed.register(this, fd, this);
  }

  /** The state dict's names, in the file's order (prefixes such as `module.` removed). */
  keys(): string[] {
    return [...this.#tensors.keys()];
  }

  /** Whether the state dict has a tensor called `name` (after prefix stripping). */
  has(name: string): boolean {
    return this.#tensors.has(name);
  }

  /**
   * The names in the order their bytes lie in the file (torch.save orders storage records by
   * key as text: 0, 1, 10, 100, …): reading in this order is one forward pass over the file.
   */
  keysInFileOrder(): string[] {
    const at = (k: string) => this.#raw.locate(this.#tensors.get(k)!.storage).position;
    return this.keys().sort((a, b) => at(a) - at(b));
  }

  /** Dtype and shape of one tensor, without reading it. */
  info(name: string): TorchTensorInfo {
    const t = this.#ref(name);
    return { dtype: t.dtype, torchType: t.storage.typeName, shape: [...t.shape] };
  }

  /** Reads one tensor (a new contiguous tensor each call; the caller owns it). */
  get(name: string, options: TensorLoadOptions = {}): Tensor {
    const ref = this.#ref(name);
    return scope(() => {
      let t = readTensorRef(this.#openFd(), this.#raw, ref, this.path, `'${name}'`);
      if (options.dtype && isFloating(t.dtype) && options.dtype !== t.dtype) t = t.to({ dtype: options.dtype });
      if (options.device && options.device !== 'cpu') t = t.to({ device: options.device });
      return t;
    });
  }

  /**
   * Every tensor at once. Tensors that share a storage (tied weights, slices of one buffer)
   * are views of one read of it, as in PyTorch, so each byte is in memory once.
   */
  getAll(): Record<string, Tensor> {
    const fd = this.#openFd();
    const groups = new Map<string, [string, TensorRef][]>();
    for (const [k, t] of this.#tensors) {
      const id = `${t.storage.key}@${t.storage.baseOffset}`;
      const g = groups.get(id);
      if (g) g.push([k, t]);
      else groups.set(id, [[k, t]]);
    }
    return scope(() => {
      const out: Record<string, Tensor> = {};
      // Reads that go straight from the file into memory are gathered and done in one parallel
      // call (tensorPreadMany); each then becomes its members' tensors.
      const batch: { flat: Tensor; position: number; finish: (flat: Tensor) => void }[] = [];
      for (const members of groups.values()) {
        const storage = members[0]![1].storage;
        let lo = Infinity;
        let hi = 0;
        for (const [, t] of members) {
          const end = viewExtent(t.offset, t.shape, t.stride);
          if (end > 0) {
            lo = Math.min(lo, t.offset);
            hi = Math.max(hi, end);
          }
        }
        const direct = directSpan(this.#raw, storage, lo, hi);
        if (!direct) {
          if (members.length === 1 || !storage.dtype || hi === 0) {
            for (const [k, t] of members) out[k] = readTensorRef(fd, this.#raw, t, this.path, `'${k}'`);
            continue;
          }
          // Shared and not directly readable (deflated, big-endian): one read, then views.
          const flat = readTensorRef(fd, this.#raw, new TensorRef(storage, lo, [hi - lo], [1], false), this.path);
          for (const [k, t] of members)
            out[k] = viewExtent(t.offset, t.shape, t.stride) === 0 ? empty(t.shape, { dtype: t.dtype! }) : flat.asStrided(t.shape, t.stride, t.offset - lo);
          continue;
        }
        const single = members.length === 1 && isRowMajor(members[0]![1].shape, members[0]![1].stride);
        const flat = empty(single ? members[0]![1].shape : [hi - lo], { dtype: storage.dtype! });
        batch.push({
          flat,
          position: direct.position,
          finish: (f) => {
            if (single) out[members[0]![0]] = f;
            else
              for (const [k, t] of members) {
                const view =
                  viewExtent(t.offset, t.shape, t.stride) === 0 ? empty(t.shape, { dtype: t.dtype! }) : f.asStrided(t.shape, t.stride, t.offset - lo);
                // A lone strided view (channels-last, a transpose) comes back contiguous, as get() returns it.
                out[k] = members.length === 1 ? view.contiguous() : view;
              }
          },
        });
      }
      const got = preadTensors(
        batch.map((b) => b.flat),
        fd,
        batch.map((b) => b.position),
      );
      batch.forEach((b, i) => {
        if (got[i]! < b.flat.byteSize) fail('BAD_TENSOR', `${this.path}: a storage ends early (truncated?)`);
        b.finish(b.flat);
      });
      // In the state dict's order.
      return Object.fromEntries([...this.#tensors.keys()].map((k) => [k, out[k]!]));
    });
  }

  /** Checks every storage record against the archive's CRC-32 (zip files; legacy files have none). */
  verify(): void {
    const fd = this.#openFd();
    for (const { key, location } of this.#raw.records()) {
      if (location.crc32 === undefined || location.deflated) continue; // deflated records are checked when inflated
      let c = 0;
      const chunk = new Uint8Array(Math.min(1 << 24, location.byteLength));
      for (let done = 0; done < location.byteLength;) {
        const n = readSync(fd, chunk, 0, Math.min(chunk.byteLength, location.byteLength - done), location.position + done);
        if (n === 0) fail('BAD_TENSOR', `${this.path}: storage ${key} ends early (truncated?)`);
        c = crc32(chunk.subarray(0, n), c);
        done += n;
      }
      if (c !== location.crc32) fail('CHECKSUM', `${this.path}: storage ${key} does not match its CRC-32 (corrupt file)`);
    }
  }

  /** Releases the file descriptor. Safe to call twice; tensors already read stay valid. */
  close(): void {
    if (this.#fd === undefined) return;
    unclosed.unregister(this);
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** `close()`, for `using ckpt = openTorchCheckpoint(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #openFd(): number {
    if (this.#fd === undefined) throw new Error(`${this.path}: the checkpoint is closed`);
    return this.#fd;
  }

  #ref(name: string): TensorRef {
    const t = this.#tensors.get(name);
    if (!t) throw new TorchCheckpointError('NO_STATE_DICT', `no tensor named '${name}' in ${this.path}${this.entry ? `#${this.entry}` : ''}`);
    return t;
  }
}

/**
 * Opens a PyTorch checkpoint: `path`, or `path#entry` to pick the state dict inside a training
 * checkpoint. Refuses files that reach for anything outside the allowlist (TorchCheckpointError
 * 'REFUSED'), without running or building any of it. Close it with `close()` or `using`.
 *
 * @example
 *   const ckpt = openTorchCheckpoint('checkpoint-best.pth#model_ema');
 *   console.log(ckpt.note, ckpt.keys().length);
 *   ckpt.close();
 */
export function openTorchCheckpoint(spec: string, options: TorchCheckpointOptions = {}): TorchCheckpoint {
  const split = existsSync(spec) ? { path: spec, entry: undefined } : splitEntry(spec);
  const path = split.path;
  const entry = options.entry ?? split.entry;
  const fd = openSync(path, 'r');
  try {
    return new TorchCheckpoint(path, fd, readRaw(fd, path, options), entry);
  } catch (e) {
    closeSync(fd);
    // The allowlist, tensor checks and zip fields do not know the file: name it here, so every
    // message says which file (a model and its teacher, an ensemble: several are opened at once).
    if (e instanceof TorchCheckpointError && !e.message.includes(path)) throw new TorchCheckpointError(e.code, `${path}: ${e.message}`);
    throw e;
  }
}

/**
 * The whole state dict of a PyTorch checkpoint as finegrain tensors (the caller owns them).
 *
 * @example
 *   const { tensors, note } = loadTorchCheckpoint('model.pth');
 *   model.loadStateDict(tensors);
 */
export function loadTorchCheckpoint(
  spec: string,
  options: TorchCheckpointOptions = {},
): {
  /** The state dict, by name (prefixes such as `module.` removed). */
  tensors: Record<string, Tensor>;
  /** The entry the state dict came from ('' for the whole file). */
  entry: string;
  /** What was chosen and stripped, in one line (print it when the choice was automatic). */
  note: string;
} {
  const ckpt = openTorchCheckpoint(spec, options);
  try {
    return { tensors: ckpt.getAll(), entry: ckpt.entry, note: ckpt.note };
  } finally {
    ckpt.close();
  }
}
