/**
 * What a downloaded file must hash to before it may enter the cache, and the check itself.
 * Three sources of truth, whichever the server gives:
 *
 * - torch.hub's rule: a file name `name-<hex>.ext` promises that its sha256 starts with
 *   `<hex>` (torchvision's `resnet50-11ad3fa6.pth`);
 * - the hub's `X-Linked-Etag` for LFS files (weights): the full sha256 of the bytes;
 * - the hub's `ETag` for small files kept in git (config.json): git's blob id, the sha1 of
 *   `blob <size>\0` followed by the bytes — so config.json is checked too, not only weights.
 *
 * @example
 *   hashPrefixOf('resnet50-11ad3fa6.pth');                // '11ad3fa6'
 *   await checkIntegrity(path, { sha256Prefix: '11ad3fa6' }, 'resnet50-11ad3fa6.pth');
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { WeightsError } from './errors.js';

/**
 * The hashes a file must have (any subset; none means size only).
 * @example const want: Integrity = { sha256Prefix: hashPrefixOf('resnet50-11ad3fa6.pth') };
 */
export interface Integrity {
  /** The whole sha256, lower-case hex. */
  sha256?: string;
  /** The first hex digits of the sha256 (torch.hub's file-name rule). */
  sha256Prefix?: string;
  /** git's blob id (sha1 of 'blob <size>\0' + bytes), lower-case hex. */
  gitSha1?: string;
}

/**
 * The hash prefix in a file name, by torch.hub's `-([a-f0-9]*)\.` rule (first match), or
 * undefined when the name has none.
 *
 * @example
 *   hashPrefixOf('vgg16_features-amdegroot-88682ab5.pth'); // '88682ab5'
 *   hashPrefixOf('model.safetensors');                     // undefined
 */
export function hashPrefixOf(fileName: string): string | undefined {
  const m = /-([a-f0-9]*)\./.exec(fileName);
  return m ? m[1] : undefined;
}

/**
 * What the hub's etag promises: a 64-hex etag is an LFS file's sha256, a 40-hex one a git
 * blob id; anything else cannot be checked (size only).
 *
 * @example
 *   integrityFromEtag('a'.repeat(64)); // { sha256: 'aaa…' }
 */
export function integrityFromEtag(etag: string): Integrity {
  if (/^[0-9a-f]{64}$/.test(etag)) return { sha256: etag };
  if (/^[0-9a-f]{40}$/.test(etag)) return { gitSha1: etag };
  return {};
}

/**
 * Hashes the file and throws `WeightsError('INTEGRITY')` on a mismatch (the caller deletes
 * the file). Reads the file once for all the hashes asked for.
 *
 * @example
 *   await checkIntegrity('/tmp/x.incomplete', { sha256: expected }, 'model.safetensors');
 */
export async function checkIntegrity(path: string, want: Integrity, label: string): Promise<void> {
  if (!want.sha256 && want.sha256Prefix === undefined && !want.gitSha1) return;
  const sha256 = createHash('sha256');
  const sha1 = createHash('sha1');
  if (want.gitSha1) sha1.update(`blob ${statSync(path).size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    sha256.update(chunk as Buffer);
    if (want.gitSha1) sha1.update(chunk as Buffer);
  }
  const got256 = sha256.digest('hex');
  const fail = (what: string, expected: string, got: string): never => {
    throw new WeightsError(
      'INTEGRITY',
      `${label}: ${what} ${got} does not match the published ${expected}; the download was discarded, not cached (try again; if it persists the server or a proxy is altering the file)`,
    );
  };
  if (want.sha256 && got256 !== want.sha256) fail('sha256', want.sha256, got256);
  if (want.sha256Prefix !== undefined && !got256.startsWith(want.sha256Prefix)) fail('sha256', `prefix ${want.sha256Prefix}`, got256);
  if (want.gitSha1) {
    const got1 = sha1.digest('hex');
    if (got1 !== want.gitSha1) fail('git blob id', want.gitSha1, got1);
  }
}
