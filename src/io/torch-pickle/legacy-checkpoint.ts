/**
 * PyTorch's legacy checkpoint format (before 1.6, and `torch.save(...,
 * _use_new_zipfile_serialization=False)` since): five pickles in a row — a magic number, the
 * protocol version (1001), system info (byte order, type sizes), the object, and the list of
 * storage keys — then each storage in that order as an 8-byte element count and its raw bytes.
 * A storage view in a persistent id (`view_metadata`) is a window into its root storage.
 *
 * @example
 *   if (looksLikeLegacy(first8)) raw = readLegacyCheckpoint(fd, 'old.pth');
 */
import { fstatSync, readSync } from 'node:fs';
import { storageFromId } from './allowed-globals.js';
import { fileInput } from './byte-input.js';
import { fail } from './error.js';
import type { RawCheckpoint, ReadLimits, StorageLocation } from './raw-checkpoint.js';
import { unpickle } from './unpickler.js';
import { brief, PyDict, PyTuple, StorageRef, typeName, type PyValue } from './values.js';

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/**
 * A pickle that opens with LONG1 — the magic number's opcode — right after PROTO (protocol 2,
 * torch.save's default), or a protocol 4/5 pickle that opens with the 13-byte FRAME the magic
 * number's pickle is (`torch.save(..., _use_new_zipfile_serialization=False, pickle_protocol=4)`,
 * which torch.load reads): of the frame only its header fits in the 8 bytes callers pass.
 */
export function looksLikeLegacy(first: Uint8Array): boolean {
  if (first.byteLength >= 3 && first[0] === 0x80 && first[1]! <= 5 && first[2] === 0x8a) return true;
  const frame13 = [0x95, 13, 0, 0, 0, 0];
  return first.byteLength >= 8 && first[0] === 0x80 && (first[1] === 4 || first[1] === 5) && frame13.every((b, i) => first[2 + i] === b);
}

/** The pre-0.4 tar format: 'ustar' at byte 257. */
export function looksLikeTar(fd: number): boolean {
  const b = new Uint8Array(5);
  return readSync(fd, b, 0, 5, 257) === 5 && new TextDecoder().decode(b) === 'ustar';
}

export function readLegacyCheckpoint(fd: number, file: string, limits: ReadLimits = {}): RawCheckpoint {
  const size = fstatSync(fd).size;
  const input = fileInput(fd, 0, Math.min(size, limits.maxPickleBytes ?? size), file);
  const noStorages = () => fail('BAD_PICKLE', `${file}: a storage outside the object pickle`);
  const magic = unpickle(input, noStorages);
  if (magic !== MAGIC) fail('NOT_A_CHECKPOINT', `${file}: not a PyTorch checkpoint (no magic number)`);
  const version = unpickle(input, noStorages);
  if (version !== PROTOCOL_VERSION) fail('UNSUPPORTED', `${file}: legacy format version ${brief(version)} (this reader knows ${PROTOCOL_VERSION})`);
  const sysInfo = unpickle(input, noStorages);
  const little = sysInfo instanceof PyDict ? sysInfo.get('little_endian') : undefined;
  if (little === false) fail('UNSUPPORTED', `${file} was written on a big-endian machine in the legacy format; re-save it with a current torch.save`);

  const roots = new Map<string, StorageRef>();
  const persistentLoad = (pid: PyValue): PyValue => {
    // ('storage', storage_type, root_key, location, numel, view_metadata)
    if (!(pid instanceof PyTuple) || pid.items.length !== 6 || pid.items[0] !== 'storage')
      return fail('BAD_PICKLE', `${file}: persistent id ${typeName(pid)} is not a storage reference (a whole pickled model? save its state_dict())`);
    const [, type, key, , numel, view] = pid.items;
    if (typeof key !== 'string' || key.length > 64) return fail('BAD_PICKLE', `${file}: storage key ${brief(key)}`);
    let root = roots.get(key);
    if (!root) {
      root = storageFromId(type ?? null, key, numel ?? null, file);
      roots.set(key, root);
    }
    if (view === null || view === undefined) return root;
    const parts = view instanceof PyTuple ? view.items : [];
    const [, offset, viewSize] = parts;
    if (parts.length !== 3 || typeof offset !== 'number' || typeof viewSize !== 'number' || offset < 0 || viewSize < 0 || offset + viewSize > root.numel)
      return fail('BAD_TENSOR', `${file}: a view of storage ${key} outside its ${root.numel} elements`);
    return new StorageRef(key, root.typeName, root.dtype, root.itemSize, viewSize, offset);
  };
  const root = unpickle(input, persistentLoad);
  const keys = unpickle(input, noStorages);
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) fail('BAD_PICKLE', `${file}: the storage key list is a ${typeName(keys)}`);

  // Storages follow in the order of the key list: an 8-byte element count, then the bytes.
  const positions = new Map<string, number>();
  let pos = input.position;
  const head = new Uint8Array(8);
  for (const key of keys as string[]) {
    const s = roots.get(key);
    if (!s) fail('BAD_PICKLE', `${file}: storage ${key} is listed but no tensor uses it`);
    if (positions.has(key)) fail('BAD_PICKLE', `${file}: storage ${key} is listed twice`);
    if (pos + 8 > size || readSync(fd, head, 0, 8, pos) !== 8) fail('BAD_TENSOR', `${file}: storage ${key} lies past the end of the file (truncated?)`);
    const n = Number(new DataView(head.buffer).getBigInt64(0, true));
    if (n !== s.numel) fail('BAD_TENSOR', `${file}: storage ${key} holds ${n} elements, its tensors declare ${s.numel}`);
    positions.set(key, pos + 8);
    pos += 8 + n * s.itemSize;
    if (pos > size) fail('BAD_TENSOR', `${file}: storage ${key} runs past the end of the file (truncated?)`);
  }
  for (const key of roots.keys()) if (!positions.has(key)) fail('BAD_PICKLE', `${file}: storage ${key} is used but not in the key list`);

  const locate = (s: StorageRef): StorageLocation => ({ position: positions.get(s.key)! + s.baseOffset * s.itemSize, byteLength: s.numel * s.itemSize });
  return { format: 'legacy', root, bigEndian: false, locate, records: () => [...roots.values()].map((s) => ({ key: s.key, location: locate(s) })) };
}
