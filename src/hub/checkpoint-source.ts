/**
 * A weights file at a URL (torchvision's, or any `https://…`), cached as PyTorch's
 * `torch.hub.load_state_dict_from_url` caches it: `<checkpoints>/<file name>`, the name being
 * the last part of the URL's path. A file already there is used as it is (torch.hub does the
 * same), so PyTorch and finegrain never download it twice. A name carrying a hash prefix
 * (`name-<hex>.ext`) is checked against the sha256 of the bytes before it enters the cache.
 *
 * @example
 *   const file = await fetchCheckpoint(http, 'https://download.pytorch.org/models/resnet50-11ad3fa6.pth', { progress: true });
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointsDir } from './env.js';
import { WeightsError } from './errors.js';
import { download } from './download.js';
import type { Http } from './http.js';
import { hashPrefixOf } from './integrity.js';
import { withFileLock } from './lock.js';

/** The cache path of a URL's file. @example checkpointPath('https://x/models/a-1f.pth'); // '~/.cache/torch/hub/checkpoints/a-1f.pth' */
export function checkpointPath(url: string, cacheDir?: string): string {
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  if (!name || name === '.' || name === '..' || name.includes('/')) throw new WeightsError('BAD_SPEC', `${url}: the URL names no usable file`);
  return join(checkpointsDir(cacheDir), name);
}

/**
 * The cached file of a URL, or a `WeightsError('NOT_CACHED')` saying where it looked and
 * what to download (for offline mode and the synchronous resolve).
 *
 * @example
 *   cachedCheckpoint(url, spec); // '/…/checkpoints/resnet50-11ad3fa6.pth'
 */
export function cachedCheckpoint(url: string, spec: string, cacheDir?: string): string {
  const dest = checkpointPath(url, cacheDir);
  if (existsSync(dest)) return dest;
  throw new WeightsError(
    'NOT_CACHED',
    `${spec} is not in the cache: looked for ${dest}. Download ${url} to that path (e.g. curl -L -o '${dest}' '${url}'), ` +
      'or run once with network access (without HF_HUB_OFFLINE / FINEGRAIN_OFFLINE)',
  );
}

/**
 * Downloads a URL into the checkpoints folder unless it is there; returns its path.
 *
 * @example
 *   await fetchCheckpoint(http, url, { progress: false, cacheDir: '/tmp/ckpt' });
 */
export async function fetchCheckpoint(http: Http, url: string, options: { progress: boolean; cacheDir?: string }): Promise<string> {
  const dest = checkpointPath(url, options.cacheDir);
  if (existsSync(dest)) return dest;
  const name = dest.slice(dest.lastIndexOf('/') + 1);
  const prefix = hashPrefixOf(name);
  await withFileLock(
    `${dest}.finegrain.lock`,
    async () => {
      if (existsSync(dest)) return; // another process finished it while we waited
      await download(http, {
        url,
        dest,
        incomplete: `${dest}.incomplete`,
        integrity: prefix ? { sha256Prefix: prefix } : {},
        label: name,
        progress: options.progress,
      });
    },
    { signal: http.signal, onWait: options.progress ? (who) => process.stderr.write(`${name}: waiting for the download by process ${who}\n`) : undefined },
  );
  return dest;
}
