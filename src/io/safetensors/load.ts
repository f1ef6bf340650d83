/**
 * Loading whole safetensors files (or the tensors named in `keys`) into finegrain tensors,
 * from a path or from bytes in memory.
 *
 * @example
 *   const { tensors, metadata } = loadSafetensors('resnet50.safetensors', { device: 'cuda' });
 *   model.loadStateDict(tensors);
 */
import { closeSync, openSync } from 'node:fs';
import { scope, type Tensor } from '../../tensor/index.js';
import { SafetensorsError, quoteName } from './error.js';
import type { ParsedHeader, TensorEntry } from './header.js';
import { checkLoadOptions, checkSupported, readTensor, type TensorLoadOptions } from './materialize.js';
import { fileSource, memorySource, readHeader, type ByteSource, type HeaderOptions } from './source.js';

/** Options of `loadSafetensors`: which tensors, where to, in which dtype, and the header size cap. */
export interface LoadOptions extends TensorLoadOptions, HeaderOptions {
  /** Load only these tensors (KEY_NOT_FOUND if one is missing); default all. */
  keys?: readonly string[];
}

/** What `loadSafetensors` returns. */
export interface LoadedSafetensors {
  /** The tensors, in the order of their bytes in the file. The caller owns them. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` strings ({} when there are none). */
  metadata: Record<string, string>;
}

/**
 * Reads a safetensors file: the header is validated first, then each tensor is read from
 * the file directly into its own memory (one copy, no whole-file buffer). Malformed files
 * throw `SafetensorsError`; on any error no tensor is left allocated.
 *
 * @example
 *   const { tensors } = loadSafetensors('ckpt.safetensors', { keys: ['fc.weight', 'fc.bias'] });
 *   const w = tensors['fc.weight']!;
 */
export function loadSafetensors(path: string, options: LoadOptions = {}): LoadedSafetensors {
  checkLoadOptions(options);
  const fd = openSync(path, 'r');
  try {
    return loadFrom(fileSource(fd), options);
  } finally {
    closeSync(fd);
  }
}

/**
 * The same as `loadSafetensors`, from bytes already in memory (a download, a test fixture).
 *
 * @example
 *   const { tensors } = parseSafetensors(serializeSafetensors({ x: randn([2, 2]) }));
 */
export function parseSafetensors(bytes: Uint8Array, options: LoadOptions = {}): LoadedSafetensors {
  checkLoadOptions(options);
  return loadFrom(memorySource(bytes), options);
}

function loadFrom(source: ByteSource, options: LoadOptions): LoadedSafetensors {
  const { header, dataStart } = readHeader(source, options);
  const entries = select(header, options.keys);
  // Every problem the header can show is reported before any memory is allocated.
  for (const e of entries) checkSupported(e);
  const tensors = scope(() => Object.fromEntries(entries.map((e) => [e.name, readTensor(source, dataStart, e, options)])));
  return { tensors, metadata: header.metadata };
}

/** The requested entries, in file order so the reads run forward through the file. */
function select(header: ParsedHeader, keys: readonly string[] | undefined): TensorEntry[] {
  if (keys === undefined) return header.tensors;
  const wanted = new Set<string>();
  for (const k of keys) {
    if (!header.byName.has(k)) throw new SafetensorsError('KEY_NOT_FOUND', `no tensor named ${quoteName(k)} in the file`, k);
    wanted.add(k);
  }
  return header.tensors.filter((e) => wanted.has(e.name));
}
