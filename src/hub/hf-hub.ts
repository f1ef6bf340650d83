/**
 * One file from a Hugging Face hub repository into the shared cache, as huggingface_hub's
 * `hf_hub_download` does it: a HEAD of `<endpoint>/<org>/<repo>/resolve/<revision>/<file>`
 * gives the commit (`X-Repo-Commit`), the etag (`X-Linked-Etag` for LFS files — the sha256 —
 * else `ETag`), the size (`X-Linked-Size`, else `Content-Length`) and, for LFS files, a 302
 * to the storage host. Same-origin redirects (a renamed repository) are followed; the
 * cross-origin one is not, its `Location` is where the GET goes, without the token. The bytes
 * land in `blobs/<etag>` under a per-blob lock and `snapshots/<commit>/<file>` links to them.
 *
 * @example
 *   const got = await fetchHubFile(ctx, 'main', 'config.json');
 *   if ('path' in got) readFileSync(got.path, 'utf8');
 */
import { existsSync } from 'node:fs';
import { WeightsError } from './errors.js';
import { download } from './download.js';
import { send, type Http, type HttpResponse } from './http.js';
import { integrityFromEtag } from './integrity.js';
import { withFileLock } from './lock.js';
import { blobPath, linkSnapshot, lockPath, markMissing, repoDir, snapshotFile, snapshotPath, writeRef } from './hf-cache.js';

/**
 * What one hub resolve works with.
 *
 * @example
 *   const ctx: HubContext = { spec, repoId: 'timm/x', revision: 'main', cacheDir: hubCacheDir(), endpoint: hfEndpoint(), http, progress: false };
 */
export interface HubContext {
  /** The spec as given, for messages. */
  spec: string;
  repoId: string;
  /** The revision asked for (branch, tag or commit). */
  revision: string;
  cacheDir: string;
  /** `HF_ENDPOINT`, without a trailing slash. */
  endpoint: string;
  token?: string;
  http: Http;
  progress: boolean;
}

/**
 * A file that is there (its snapshot path) or that the hub says is not (with the commit it said so for).
 * @example if ('path' in got) use(got.path); else console.log(`absent at ${got.commit}`);
 */
export type HubFileResult = { path: string; commit: string } | { missing: true; commit?: string };

/** huggingface_hub's `_normalize_etag`: no weak marker, no quotes. @example normalizeEtag('W/"abc"'); // 'abc' */
export function normalizeEtag(etag: string | undefined): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;
}

/** The resolve URL of a file (the revision is escaped whole, '/' included, as huggingface_hub quotes it). @example resolveUrl(ctx, 'main', 'config.json'); */
export function resolveUrl(endpoint: string, repoId: string, revision: string, filename: string): string {
  return `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${filename.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Makes sure `filename` at `revision` is in the cache and returns its snapshot path; with
 * `allowMissing`, a 404 for the file alone (not the repository or revision) returns
 * `{ missing: true }` and is remembered in `.no_exist/`.
 *
 * @example
 *   const st = await fetchHubFile(ctx, commit, 'model.safetensors', { allowMissing: true });
 */
export async function fetchHubFile(ctx: HubContext, revision: string, filename: string, options: { allowMissing?: boolean } = {}): Promise<HubFileResult> {
  const repo = repoDir(ctx.cacheDir, ctx.repoId);
  const url = resolveUrl(ctx.endpoint, ctx.repoId, revision, filename);
  const origin = new URL(ctx.endpoint).origin;
  const auth: Record<string, string> = ctx.token ? { authorization: `Bearer ${ctx.token}` } : {};
  const head = await send(ctx.http, url, { method: 'HEAD', headers: { ...auth, 'accept-encoding': 'identity' }, authOrigin: origin, follow: 'same-origin' });
  await head.body.dump().catch(() => {});
  const commitHeader = head.headers['x-repo-commit'];
  if (head.status >= 400) {
    const code = head.headers['x-error-code'];
    if (options.allowMissing && head.status === 404 && (code === 'EntryNotFound' || code === undefined)) {
      if (commitHeader) {
        markMissing(repo, commitHeader, filename);
        writeRef(repo, ctx.revision, commitHeader);
      }
      return { missing: true, commit: commitHeader };
    }
    throw hubStatusError(ctx, head, revision, filename);
  }
  if (!commitHeader) {
    throw new WeightsError(
      'HTTP',
      `${ctx.spec}: ${url} answered without an X-Repo-Commit header, so it is not a Hugging Face hub (check HF_ENDPOINT and any proxy)`,
    );
  }
  const etag = normalizeEtag(head.headers['x-linked-etag'] ?? head.headers.etag);
  if (!etag || /[/\\]/.test(etag))
    throw new WeightsError('HTTP', `${ctx.spec}: ${url} answered without a usable ETag, so the download cannot be verified or cached`);
  const sizeHeader = Number(head.headers['x-linked-size'] ?? head.headers['content-length']);
  const location = head.status >= 300 && head.headers.location ? new URL(head.headers.location, head.url).href : head.url;

  writeRef(repo, ctx.revision, commitHeader);
  const pointer = snapshotPath(repo, commitHeader, filename);
  if (snapshotFile(repo, commitHeader, filename)) return { path: pointer, commit: commitHeader };
  const blob = blobPath(repo, etag);
  const label = `${ctx.repoId}/${filename}`;
  await withFileLock(
    lockPath(ctx.cacheDir, ctx.repoId, etag),
    async () => {
      // Checked again under the lock: another process may have finished it while we waited.
      if (!existsSync(blob)) {
        await download(ctx.http, {
          url: location,
          dest: blob,
          incomplete: `${blob}.incomplete`,
          headers: auth,
          authOrigin: origin,
          expectedSize: Number.isFinite(sizeHeader) ? sizeHeader : undefined,
          integrity: integrityFromEtag(etag),
          label,
          progress: ctx.progress,
          statusError: (res) => hubStatusError(ctx, res, revision, filename),
        });
      }
      linkSnapshot(blob, pointer);
    },
    { signal: ctx.http.signal, onWait: ctx.progress ? (who) => process.stderr.write(`${label}: waiting for the download by process ${who}\n`) : undefined },
  );
  return { path: pointer, commit: commitHeader };
}

/**
 * The one-line error for a hub answer of 401, 403, 404 or another failure, saying which of
 * repository, revision or file is missing (the hub's `X-Error-Code`) and what to do.
 *
 * @example
 *   throw hubStatusError(ctx, res, 'main', 'model.safetensors');
 */
export function hubStatusError(ctx: HubContext, res: HttpResponse, revision: string, filename: string): WeightsError {
  const code = res.headers['x-error-code'];
  const rev = revision === ctx.revision ? `'${revision}'` : `'${ctx.revision}' (commit ${revision})`;
  const tokenHint = `set HF_TOKEN to a token (${ctx.endpoint}/settings/tokens) of an account that can read it`;
  const where = ctx.spec;
  if (res.status === 401) {
    if (ctx.token)
      return new WeightsError(
        'UNAUTHORIZED',
        `${where}: 401 unauthorized — the hub refused the token (HF_TOKEN or the token file) for '${ctx.repoId}'; check the token, and that the repository exists`,
      );
    return new WeightsError('UNAUTHORIZED', `${where}: 401 unauthorized — '${ctx.repoId}' does not exist, or it is private or gated: ${tokenHint}`);
  }
  if (res.status === 403) {
    if (code === 'GatedRepo' || !ctx.token) {
      return new WeightsError(
        'FORBIDDEN',
        `${where}: 403 forbidden — '${ctx.repoId}' is gated: accept its conditions at ${ctx.endpoint}/${ctx.repoId} and ${tokenHint}`,
      );
    }
    return new WeightsError('FORBIDDEN', `${where}: 403 forbidden — the token in HF_TOKEN has no access to '${ctx.repoId}'; ${tokenHint}`);
  }
  if (res.status === 404) {
    if (code === 'RepoNotFound')
      return new WeightsError('NOT_FOUND', `${where}: repository '${ctx.repoId}' not found on ${ctx.endpoint} (if it is private, ${tokenHint})`);
    if (code === 'RevisionNotFound') return new WeightsError('NOT_FOUND', `${where}: revision ${rev} not found in repository '${ctx.repoId}'`);
    if (code === 'EntryNotFound')
      return new WeightsError('NOT_FOUND', `${where}: file '${filename}' not found in repository '${ctx.repoId}' at revision ${rev}`);
    return new WeightsError('NOT_FOUND', `${where}: 404 for ${res.url} — repository '${ctx.repoId}', revision ${rev} or file '${filename}' not found`);
  }
  const message = res.headers['x-error-message'];
  return new WeightsError('HTTP', `${where}: HTTP ${res.status} from ${res.url}${message ? ` (${message})` : ''}`);
}
