/**
 * PyTorch's zip checkpoint format (torch.save since 1.6): one folder holding `data.pkl` (the
 * object, whose tensors name their storages by persistent id), `data/<key>` (each storage's
 * raw bytes, uncompressed), `byteorder` (`little` or `big`, absent before 1.10) and `version`.
 *
 * @example
 *   const raw = readZipCheckpoint(fd, 'm.pth');
 *   raw.root;   // the unpickled object, tensors as TensorRef
 */
import { bufferInput } from './byte-input.js';
import { fail } from './error.js';
import { storageFromId } from './allowed-globals.js';
import { DEFAULT_MAX_PICKLE_BYTES, type RawCheckpoint, type ReadLimits, type StorageLocation } from './raw-checkpoint.js';
import { unpickle } from './unpickler.js';
import { brief, PyTuple, StorageRef, typeName, type PyValue } from './values.js';
import { openZip, type ZipEntry } from './zip-archive.js';

export function readZipCheckpoint(fd: number, file: string, limits: ReadLimits = {}): RawCheckpoint {
  const zip = openZip(fd, file);
  const pkl = [...zip.entries.keys()].filter((n) => n.endsWith('/data.pkl') && n.split('/').length === 2);
  if (pkl.length === 0) {
    if ([...zip.entries.keys()].some((n) => n.endsWith('constants.pkl') || n.includes('/code/')))
      fail('UNSUPPORTED', `${file} is a TorchScript archive (torch.jit.save), not a checkpoint of tensors: save model.state_dict() with torch.save`);
    fail('NOT_A_CHECKPOINT', `${file} is a zip archive without a data.pkl: not a PyTorch checkpoint`);
  }
  if (pkl.length > 1) fail('BAD_ARCHIVE', `${file} holds ${pkl.length} data.pkl records (${pkl.join(', ')})`);
  const prefix = pkl[0]!.slice(0, -'data.pkl'.length);
  const order = zip.entries.get(`${prefix}byteorder`);
  let bigEndian = false;
  if (order) {
    const text = new TextDecoder().decode(zip.read(order, 16));
    if (text !== 'little' && text !== 'big') fail('BAD_ARCHIVE', `${file}: byteorder record says '${text.slice(0, 16)}'`);
    bigEndian = text === 'big';
  }

  const storages = new Map<string, StorageRef>();
  const used = new Map<string, ZipEntry>();
  const persistentLoad = (pid: PyValue): PyValue => {
    // ('storage', storage_type, key, location, numel)
    if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length < 5)
      return fail('BAD_PICKLE', `${file}: persistent id ${typeName(pid)} is not a storage reference`);
    const [, type, key, , numel] = pid.items;
    if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key)) return fail('BAD_PICKLE', `${file}: storage key ${brief(key)}`);
    const known = storages.get(key);
    if (known) return known;
    const storage = storageFromId(type ?? null, key, numel ?? null, file);
    const entry = zip.entries.get(`${prefix}data/${key}`);
    if (!entry) return fail('BAD_TENSOR', `${file}: storage ${key} has no record ${prefix}data/${key}`);
    const bytes = storage.numel * storage.itemSize;
    if (entry.size !== bytes)
      fail('BAD_TENSOR', `${file}: storage ${key} declares ${storage.numel} x ${storage.itemSize} bytes but its record holds ${entry.size}`);
    storages.set(key, storage);
    used.set(key, entry);
    return storage;
  };
  const entry = zip.entries.get(pkl[0]!)!;
  const bytes = zip.read(entry, limits.maxPickleBytes ?? DEFAULT_MAX_PICKLE_BYTES);
  const root = unpickle(bufferInput(bytes, `${file}:${pkl[0]}`), persistentLoad);

  const locate = (s: StorageRef): StorageLocation => {
    const e = used.get(s.key)!;
    const base = s.baseOffset * s.itemSize;
    return {
      position: zip.dataOffset(e) + (e.method === 0 ? base : 0),
      byteLength: s.numel * s.itemSize,
      ...(e.method === 8 ? { deflated: e } : {}),
      crc32: e.crc32,
    };
  };
  return {
    format: 'zip',
    root,
    bigEndian,
    locate,
    records: () => [...used.keys()].map((key) => ({ key, location: locate(storages.get(key)!) })),
  };
}
