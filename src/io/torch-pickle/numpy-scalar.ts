/**
 * numpy scalars as data: `numpy.core.multiarray.scalar(dtype, raw_bytes)`, which training
 * scripts leave in checkpoints when they store a metric or an epoch as `np.float64`. Decoded
 * from the bytes by the dtype's kind and width; nothing of numpy is run.
 *
 * @example
 *   decodeNumpyScalar(new NumpyDtype('f8'), bytesOf(0.5)); // 0.5
 */
import { fail } from './error.js';
import { NumpyDtype, typeName, type PyValue } from './values.js';

export function decodeNumpyScalar(dtype: PyValue | undefined, raw: PyValue | undefined): PyValue {
  if (!(dtype instanceof NumpyDtype)) return fail('BAD_PICKLE', `numpy scalar with dtype ${typeName(dtype)}`);
  if (!(raw instanceof Uint8Array)) return fail('BAD_PICKLE', `numpy scalar with ${typeName(raw)} data`);
  const m = /^([<>=|]?)([fiub?])(\d*)$/.exec(dtype.code);
  if (!m) return fail('UNSUPPORTED', `a numpy scalar of dtype '${dtype.code}'`);
  const kind = m[2]!;
  const width = kind === '?' ? 1 : Number(m[3]);
  if (raw.byteLength !== width) return fail('BAD_PICKLE', `numpy ${dtype.code} scalar with ${raw.byteLength} bytes`);
  const little = (m[1] || dtype.byteOrder) !== '>';
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (`${kind}${width}`) {
    case 'f2': {
      const h = view.getUint16(0, little);
      const e = (h >> 10) & 31;
      const f = h & 1023;
      const s = h & 0x8000 ? -1 : 1;
      return s * (e === 0 ? f * 2 ** -24 : e === 31 ? (f ? NaN : Infinity) : (1 + f / 1024) * 2 ** (e - 15));
    }
    case 'f4':
      return view.getFloat32(0, little);
    case 'f8':
      return view.getFloat64(0, little);
    case 'i1':
      return view.getInt8(0);
    case 'u1':
      return view.getUint8(0);
    case 'b1':
    case '?1':
      return view.getUint8(0) !== 0;
    case 'i2':
      return view.getInt16(0, little);
    case 'u2':
      return view.getUint16(0, little);
    case 'i4':
      return view.getInt32(0, little);
    case 'u4':
      return view.getUint32(0, little);
    case 'i8':
    case 'u8': {
      const v = kind === 'i' ? view.getBigInt64(0, little) : view.getBigUint64(0, little);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
  }
  return fail('UNSUPPORTED', `a numpy scalar of dtype '${dtype.code}'`);
}
