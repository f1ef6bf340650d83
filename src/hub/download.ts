/**
 * Streams one file to disk the way huggingface_hub does: into `<dest>.incomplete` beside the
 * destination, renamed into place only when complete and verified, so the cache never holds
 * half a file under a real name. The `.incomplete` file is kept when the transfer breaks:
 * the next attempt (in this call, or a later run) asks for the rest with `Range: bytes=N-`.
 * A server that ignores Range answers 200 with the whole file, which is then written from
 * the start; one that answers 416 (our part is not a prefix it knows) gets a fresh start.
 *
 * @example
 *   await download(http, {
 *     url, dest: blob, incomplete: `${blob}.incomplete`, expectedSize: 102_540_417,
 *     integrity: { sha256: etag }, label: 'model.safetensors', progress: true,
 *   });
 */
import { mkdir, open, rename, stat, truncate, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WeightsError } from './errors.js';
import { send, networkError, httpStatusError, type Http, type HttpResponse } from './http.js';
import { checkIntegrity, type Integrity } from './integrity.js';
import { progressBar } from './progress.js';

/**
 * One download: where from, where to, and what the bytes must be.
 *
 * @example
 *   const spec: DownloadSpec = { url, dest, incomplete: `${dest}.incomplete`, integrity: {}, label: 'w.pth', progress: false };
 */
export interface DownloadSpec {
  url: string;
  /** The final path; it appears only complete and verified. */
  dest: string;
  /** The partial file kept across attempts and runs (huggingface_hub: `<blob>.incomplete`). */
  incomplete: string;
  headers?: Record<string, string>;
  /** The only origin `headers.authorization` is sent to (see `send`). */
  authOrigin?: string;
  /** The size the server published (`X-Linked-Size`); a longer file is rejected, a shorter one resumed. */
  expectedSize?: number;
  integrity: Integrity;
  /** Names the file in the progress bar and in errors. */
  label: string;
  progress: boolean;
  /** Maps an error status to the error to throw (the hub's own wording); default: a generic one. */
  statusError?: (res: HttpResponse) => WeightsError;
  /** Attempts after the first when the connection breaks or the server answers 5xx (default 4). */
  retries?: number;
}

/** A failure worth another attempt: a broken connection, a 5xx. */
class Retryable extends Error {
  constructor(readonly error: WeightsError) {
    super(error.message);
  }
}

/**
 * Downloads `spec.url` to `spec.dest` (see the module comment). Throws `WeightsError`:
 * 'INTEGRITY' (the partial file is deleted), 'NETWORK' after the retries (the partial file
 * is kept), 'ABORTED', or the status error.
 *
 * @example
 *   await download(http, { url, dest, incomplete: `${dest}.incomplete`, integrity: { sha256Prefix: '11ad3fa6' }, label: 'resnet50', progress: false });
 */
export async function download(http: Http, spec: DownloadSpec): Promise<void> {
  const retries = spec.retries ?? 4;
  await mkdir(dirname(spec.incomplete), { recursive: true });
  let restartedOnce = false;
  for (let attempt = 0; ; attempt++) {
    let have = await sizeOf(spec.incomplete);
    if (spec.expectedSize !== undefined && have > spec.expectedSize) {
      await truncate(spec.incomplete, 0); // not a prefix of this file: start over
      have = 0;
    }
    if (spec.expectedSize !== undefined && have === spec.expectedSize) break; // a previous run got it all
    try {
      const restart = await fetchInto(http, spec, have);
      if (restart && !restartedOnce) {
        restartedOnce = true;
        attempt--;
        continue;
      }
      const got = await sizeOf(spec.incomplete);
      if (spec.expectedSize !== undefined && got < spec.expectedSize) {
        throw new Retryable(new WeightsError('NETWORK', `${spec.label}: the connection ended after ${got} of ${spec.expectedSize} bytes`));
      }
      break;
    } catch (e) {
      if (!(e instanceof Retryable)) throw e;
      if (attempt >= retries || http.signal?.aborted) {
        throw new WeightsError(
          e.error.code,
          `${e.error.message} (${attempt + 1} attempts; the partial download is kept at ${spec.incomplete} and the next run resumes it)`,
          {
            cause: e.error,
          },
        );
      }
      await sleep(Math.min(250 * 2 ** attempt, 4000));
    }
  }
  const size = await sizeOf(spec.incomplete);
  if (spec.expectedSize !== undefined && size !== spec.expectedSize) {
    await unlink(spec.incomplete).catch(() => {});
    throw new WeightsError('INTEGRITY', `${spec.label}: got ${size} bytes, the server published ${spec.expectedSize}; the download was discarded, not cached`);
  }
  try {
    await checkIntegrity(spec.incomplete, spec.integrity, spec.label);
  } catch (e) {
    await unlink(spec.incomplete).catch(() => {});
    throw e;
  }
  await rename(spec.incomplete, spec.dest);
}

/**
 * One GET from byte `have` on, appended to the partial file. Returns true when the partial
 * file was found useless (416, or a 206 for another offset) and truncated: start again.
 */
async function fetchInto(http: Http, spec: DownloadSpec, have: number): Promise<boolean> {
  // identity: the byte counts must be the file's, not a compressed stream's.
  const headers: Record<string, string> = { ...spec.headers, 'accept-encoding': 'identity' };
  if (have > 0) headers.range = `bytes=${have}-`;
  let res: HttpResponse;
  try {
    res = await send(http, spec.url, { method: 'GET', headers, authOrigin: spec.authOrigin, follow: 'all' });
  } catch (e) {
    if (e instanceof WeightsError && e.code === 'NETWORK') throw new Retryable(e);
    throw e;
  }
  let append = false;
  if (res.status === 206) {
    const start = /^bytes (\d+)-/.exec(res.headers['content-range'] ?? '');
    if (!start || Number(start[1]) !== have) return restart(res, spec);
    append = true;
  } else if (res.status === 416 && have > 0) {
    return restart(res, spec);
  } else if (res.status !== 200) {
    await res.body.dump().catch(() => {});
    const error = spec.statusError?.(res) ?? httpStatusError(res.status, spec.url);
    if (res.status >= 500) throw new Retryable(error);
    throw error;
  }
  const length = Number(res.headers['content-length']);
  const total = spec.expectedSize ?? (Number.isFinite(length) ? (append ? have : 0) + length : undefined);
  const bar = progressBar(spec.label, total, spec.progress);
  const file = await open(spec.incomplete, append ? 'a' : 'w');
  let written = append ? have : 0;
  try {
    for await (const chunk of res.body) {
      await file.write(chunk as Buffer);
      written += (chunk as Buffer).length;
      if (spec.expectedSize !== undefined && written > spec.expectedSize) break; // checked by the caller
      bar.update(written);
    }
    await file.sync();
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new Retryable(networkError(spec.url, e, http.signal));
  } finally {
    bar.done();
    await file.close();
    res.body.destroy();
  }
  return false;
}

async function restart(res: HttpResponse, spec: DownloadSpec): Promise<boolean> {
  await res.body.dump().catch(() => {});
  await truncate(spec.incomplete, 0).catch(() => {});
  return true;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
