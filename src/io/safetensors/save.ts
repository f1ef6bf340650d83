/**
 * Writing safetensors: to bytes in memory, or to a file atomically. Tensors may be on any
 * device and in any layout; each is written row-major in its own dtype. Large contiguous
 * CPU tensors go from their memory to the file without a JS-side copy.
 *
 * @example
 *   saveSafetensors('model.safetensors', model.stateDict(), { epoch: '12', arch: 'resnet50' });
 */
import { endianness } from 'node:os';
import { Tensor } from '../../tensor/index.js';
import { writeFileAtomic } from '../atomic-write.js';
import { copyTensorBytes, pwriteTensor } from '../tensor-bytes.js';
import { SafetensorsError, quoteName } from './error.js';
import { stDtypeOf } from './dtypes.js';
import { buildHeader } from './header.js';

interface Pending {
  name: string;
  stDtype: string;
  shape: number[];
  byteLength: number;
  tensor: Tensor;
}

// In a `u` regex a surrogate class matches only unpaired surrogates, which UTF-8 cannot encode.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function checkText(s: unknown, what: string): string {
  if (typeof s !== 'string') throw new SafetensorsError('INVALID_ARGUMENT', `${what} must be a string, got ${typeof s}`);
  if (LONE_SURROGATE.test(s)) throw new SafetensorsError('INVALID_ARGUMENT', `${what} ${quoteName(s)} is not valid Unicode (lone surrogate)`);
  return s;
}

function prepare(tensors: Record<string, Tensor>, metadata: Record<string, string> | undefined) {
  if (endianness() !== 'LE') throw new Error('safetensors: writing on a big-endian host is not supported');
  if (tensors === null || typeof tensors !== 'object') throw new SafetensorsError('INVALID_ARGUMENT', 'tensors must be an object of name -> Tensor');
  const pending: Pending[] = [];
  for (const [name, tensor] of Object.entries(tensors)) {
    checkText(name, 'tensor name');
    if (name === '__metadata__')
      throw new SafetensorsError('INVALID_ARGUMENT', `${quoteName(name)} is reserved for the metadata and cannot name a tensor`, name);
    if (!(tensor instanceof Tensor)) throw new SafetensorsError('INVALID_ARGUMENT', `${quoteName(name)} is not a Tensor`, name);
    if (tensor.isDisposed) throw new SafetensorsError('INVALID_ARGUMENT', `tensor ${quoteName(name)} is disposed`, name);
    pending.push({ name, stDtype: stDtypeOf(tensor.dtype), shape: tensor.shape, byteLength: tensor.byteSize, tensor });
  }
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object') throw new SafetensorsError('INVALID_ARGUMENT', 'metadata must be an object of strings');
    for (const [k, v] of Object.entries(metadata)) {
      checkText(k, 'metadata key');
      checkText(v, `metadata value for ${quoteName(k)}`);
    }
  }
  return buildHeader(pending, metadata);
}

// Below this size a tensor is copied into the writer's staging buffer, so that many small
// tensors (biases, norms) cost a few large writes instead of one system call each.
const SMALL = 1 << 16;

function lengthPrefix(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
}

/**
 * The safetensors encoding of `tensors` (plus optional string metadata), as one buffer.
 * Tensors are ordered as the reference writer orders them (widest dtype first, then by
 * name) and the header is space-padded to 8 bytes, so every tensor starts aligned.
 *
 * @example
 *   const bytes = serializeSafetensors({ w: randn([3, 3]), step: tensor(7, { dtype: 'int64' }) });
 */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const { header, ordered, dataLength } = prepare(tensors, metadata);
  const out = new Uint8Array(8 + header.byteLength + dataLength);
  out.set(lengthPrefix(header.byteLength));
  out.set(header, 8);
  let at = 8 + header.byteLength;
  for (const p of ordered) {
    if (p.byteLength) copyTensorBytes(p.tensor, out.subarray(at, at + p.byteLength));
    at += p.byteLength;
  }
  return out;
}

/**
 * Writes a safetensors file atomically: to a temp file beside `path`, fsynced, then renamed
 * over it. A crash or kill at any moment leaves the previous file or the complete new one.
 * Tensor bytes go from tensor memory to the file without a JS-side copy of the whole file.
 *
 * @example
 *   saveSafetensors('ckpt/epoch-3.safetensors', { 'fc.weight': w, 'fc.bias': b }, { epoch: '3' });
 */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  const { header, ordered } = prepare(tensors, metadata);
  writeFileAtomic(path, (out) => {
    out.write(lengthPrefix(header.byteLength));
    out.write(header);
    for (const p of ordered) {
      if (p.byteLength === 0) continue;
      if (p.byteLength < SMALL) {
        const bytes = new Uint8Array(p.byteLength);
        copyTensorBytes(p.tensor, bytes);
        out.write(bytes);
      } else {
        out.writeWith(p.byteLength, (fd, position) => pwriteTensor(p.tensor, fd, position));
      }
    }
  });
}
