/**
 * Helpers for the safetensors tests: files assembled by hand (so the reader is tested
 * against bytes that finegrain's writer did not make), error assertions, temp dirs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsError, type SafetensorsErrorCode, type Tensor } from '../../src/index.js';

/**
 * A safetensors file from a header (JSON text or bytes, or an object to stringify) and a data
 * section (bytes, or a length to fill with a counting pattern). `length` overrides N.
 */
export function rawFile(header: string | Uint8Array | object, data: Uint8Array | number = 0, length?: bigint): Uint8Array {
  const json = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? Uint8Array.from({ length: data }, (_, i) => (i * 7 + 1) & 0xff) : data;
  const out = new Uint8Array(8 + json.byteLength + body.byteLength);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(body, 8 + json.byteLength);
  return out;
}

/** Asserts `fn` throws a SafetensorsError with this code (and naming this tensor, if given). */
export function assertCode(fn: () => unknown, code: SafetensorsErrorCode, tensorName?: string): SafetensorsError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected a SafetensorsError ${code}, nothing was thrown`);
  assert.ok(caught instanceof SafetensorsError, `expected a SafetensorsError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `wrong code: ${caught.message}`);
  if (tensorName !== undefined) {
    assert.equal(caught.tensor, tensorName, `error should name the tensor: ${caught.message}`);
    assert.ok(caught.message.includes(JSON.stringify(tensorName)), `message should quote the tensor name: ${caught.message}`);
  }
  return caught;
}

/** The raw bytes of a tensor (row-major), for bit-exact comparisons (NaN payloads included). */
export function bytesOf(t: Tensor): Uint8Array {
  const a = t.toTypedArray();
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function assertSameTensor(actual: Tensor, expected: Tensor, what = ''): void {
  assert.equal(actual.dtype, expected.dtype, `${what} dtype`);
  assert.deepEqual(actual.shape, expected.shape, `${what} shape`);
  assert.deepEqual(bytesOf(actual), bytesOf(expected), `${what} bytes`);
}

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'fg-st-'): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
