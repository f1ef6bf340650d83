/**
 * The Hugging Face hub cache, in huggingface_hub's own layout so that Python and finegrain
 * share downloads (see huggingface_hub `file_download.py`: `hf_hub_download`,
 * `try_to_load_from_cache`):
 *
 *     <cache>/models--<org>--<repo>/
 *       blobs/<etag>                        the bytes, named by the hub's etag (sha256 for LFS files)
 *       blobs/<etag>.incomplete             a download in progress or interrupted (resumed later)
 *       snapshots/<commit>/<filename>       a relative symlink to ../../blobs/<etag>
 *       refs/<revision>                     the commit a branch or tag pointed to when last asked
 *       .no_exist/<commit>/<filename>       an empty file: the hub said this file is not at that commit
 *     <cache>/.locks/models--<org>--<repo>/<etag>.finegrain.lock
 *
 * Everything here is synchronous, so the cache-only resolve can be synchronous too.
 *
 * @example
 *   const repo = repoDir(hubCacheDir(), 'timm/resnet50.a1_in1k');
 *   const commit = commitFor(repo, 'main');
 *   const file = commit && snapshotFile(repo, commit, 'model.safetensors');
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** A full commit hash, as the hub's `X-Repo-Commit` gives it. @example COMMIT_HASH.test(revision); // a commit, not a branch */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** huggingface_hub's `repo_folder_name` for a model repository. @example repoFolderName('timm/x'); // 'models--timm--x' */
export function repoFolderName(repoId: string): string {
  return `models--${repoId.split('/').join('--')}`;
}

/** The repository's folder in the cache. @example repoDir('/c', 'timm/x'); // '/c/models--timm--x' */
export function repoDir(cacheDir: string, repoId: string): string {
  return join(cacheDir, repoFolderName(repoId));
}

/** The file holding the commit of a branch or tag. @example refPath('/c/models--timm--x', 'main'); // '/c/models--timm--x/refs/main' */
export function refPath(repo: string, revision: string): string {
  return join(repo, 'refs', ...revision.split('/'));
}

/**
 * The commit a revision stands for in the cache: the revision itself when it is a commit
 * hash, else the content of `refs/<revision>`; undefined when the cache has no such ref.
 *
 * @example
 *   commitFor(repo, 'main'); // '8a1b…' (40 hex)
 */
export function commitFor(repo: string, revision: string): string | undefined {
  if (COMMIT_HASH.test(revision)) return revision;
  try {
    const commit = readFileSync(refPath(repo, revision), 'utf8').trim();
    return commit || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records that `revision` (a branch or tag) points to `commit`; nothing for a commit hash.
 * Written to a temp file and renamed, so a reader never sees half a hash.
 *
 * @example
 *   writeRef(repo, 'main', commit);
 */
export function writeRef(repo: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const path = refPath(repo, revision);
  mkdirSync(dirname(path), { recursive: true });
  if (commitFor(repo, revision) === commit) return;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, commit);
  renameSync(tmp, path);
}

/** Where a file of a commit appears. @example snapshotPath(repo, commit, 'config.json'); */
export function snapshotPath(repo: string, commit: string, filename: string): string {
  return join(repo, 'snapshots', commit, ...filename.split('/'));
}

/**
 * The cached file of a commit when it is there and readable (a dangling symlink, as left
 * when someone deleted blobs by hand, counts as absent).
 *
 * @example
 *   snapshotFile(repo, commit, 'model.safetensors'); // '/…/snapshots/<commit>/model.safetensors' or undefined
 */
export function snapshotFile(repo: string, commit: string, filename: string): string | undefined {
  const path = snapshotPath(repo, commit, filename);
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The `.no_exist` marker of a file at a commit. @example noExistPath(repo, commit, 'model.safetensors'); */
export function noExistPath(repo: string, commit: string, filename: string): string {
  return join(repo, '.no_exist', commit, ...filename.split('/'));
}

/** Whether the hub said (and the cache remembers) that a file is not at a commit. @example isKnownMissing(repo, commit, 'model.safetensors'); */
export function isKnownMissing(repo: string, commit: string, filename: string): boolean {
  return existsSync(noExistPath(repo, commit, filename));
}

/** Remembers that a file is not at a commit (so an offline run knows to use the fallback). @example markMissing(repo, commit, 'model.safetensors'); */
export function markMissing(repo: string, commit: string, filename: string): void {
  const path = noExistPath(repo, commit, filename);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
}

/** A blob's path. @example blobPath(repo, etag); // '/…/blobs/<etag>' */
export function blobPath(repo: string, etag: string): string {
  return join(repo, 'blobs', etag);
}

/** The lock guarding a blob's download (beside huggingface_hub's own `<etag>.lock`). @example lockPath(cache, 'timm/x', etag); */
export function lockPath(cacheDir: string, repoId: string, etag: string): string {
  return join(cacheDir, '.locks', repoFolderName(repoId), `${etag}.finegrain.lock`);
}

/**
 * Points `snapshots/<commit>/<filename>` at its blob with a relative symlink, as
 * huggingface_hub does (so the cache can be moved); where symlinks are not allowed the blob
 * is copied, as huggingface_hub falls back to. An existing pointer is left alone.
 *
 * @example
 *   linkSnapshot(blobPath(repo, etag), snapshotPath(repo, commit, 'model.safetensors'));
 */
export function linkSnapshot(blob: string, pointer: string): void {
  if (existsSync(pointer)) return;
  // A dangling link (its blob deleted by hand) is replaced, not kept.
  if (lstatQuiet(pointer)) unlinkSync(pointer);
  mkdirSync(dirname(pointer), { recursive: true });
  try {
    symlinkSync(relative(dirname(pointer), blob), pointer);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return; // another process linked it first
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    const tmp = `${pointer}.${process.pid}.tmp`;
    copyFileSync(blob, tmp);
    renameSync(tmp, pointer);
  }
}

function lstatQuiet(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
