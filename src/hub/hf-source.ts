/**
 * A whole `hf-hub:<org>/<repo>[@revision]` spec: timm's `config.json` and the weights —
 * `model.safetensors`, or `pytorch_model.bin` where the repository has no safetensors (as
 * timm's `load_state_dict_from_hf` falls back) — at one commit. The config is fetched first
 * so that an architecture finegrain cannot take is refused before a large download; the
 * weights are then asked for at the commit the config came from, so both are of one version.
 *
 * A revision already resolved in the cache (`refs/<revision>` and its snapshot complete) is
 * used without asking the hub, as is a commit hash whose snapshot is complete; pass
 * `refresh` to ask again (a branch may have moved).
 *
 * @example
 *   const files = await fetchHub(ctx, (config) => checkArchitecture(config));
 *   files.weights; // '/…/models--timm--resnet50.a1_in1k/snapshots/<commit>/model.safetensors'
 */
import { WeightsError } from './errors.js';
import { commitFor, COMMIT_HASH, isKnownMissing, refPath, repoDir, snapshotFile, snapshotPath } from './hf-cache.js';
import { fetchHubFile, resolveUrl, type HubContext } from './hf-hub.js';

/**
 * The cached files of a resolved hub spec.
 * @example const { weights, config } = await fetchHub(ctx, () => {});
 */
export interface HubFiles {
  commit: string;
  /** config.json, when the repository has one. */
  config?: string;
  weights: string;
}

/** The weight files timm looks for, in its order of preference. @example HUB_WEIGHT_FILES[0]; // 'model.safetensors' */
export const HUB_WEIGHT_FILES = ['model.safetensors', 'pytorch_model.bin'] as const;

/**
 * The spec's files from the cache alone, or the first path that was missing. `lenient`
 * (offline) takes pytorch_model.bin whenever model.safetensors is absent; otherwise only when
 * the cache remembers that the hub has no model.safetensors at that commit.
 *
 * @example
 *   const found = findCachedHub(hubCacheDir(), 'timm/resnet18.a1_in1k', 'main', true);
 *   if ('weights' in found) …; else console.log(`missing ${found.lookedAt}`);
 */
export function findCachedHub(cacheDir: string, repoId: string, revision: string, lenient: boolean): HubFiles | { lookedAt: string } {
  const repo = repoDir(cacheDir, repoId);
  const commit = commitFor(repo, revision);
  if (!commit) return { lookedAt: COMMIT_HASH.test(revision) ? snapshotPath(repo, revision, '') : refPath(repo, revision) };
  const config = snapshotFile(repo, commit, 'config.json');
  if (!config && !isKnownMissing(repo, commit, 'config.json')) return { lookedAt: snapshotPath(repo, commit, 'config.json') };
  const [st, bin] = HUB_WEIGHT_FILES;
  const weights = snapshotFile(repo, commit, st) ?? (lenient || isKnownMissing(repo, commit, st) ? snapshotFile(repo, commit, bin) : undefined);
  if (!weights) return { lookedAt: snapshotPath(repo, commit, st) };
  return { commit, config, weights };
}

/**
 * The offline / not-cached error for a hub spec: where it looked, and how to get the files.
 *
 * @example
 *   throw notCachedHubError(spec, repoId, 'main', endpoint, found.lookedAt);
 */
export function notCachedHubError(spec: string, repoId: string, revision: string, endpoint: string, lookedAt: string): WeightsError {
  return new WeightsError(
    'NOT_CACHED',
    `${spec} is not in the cache: looked for ${lookedAt}. Run once with network access (without HF_HUB_OFFLINE / FINEGRAIN_OFFLINE) to download ` +
      `${resolveUrl(endpoint, repoId, revision, 'config.json')} and ${resolveUrl(endpoint, repoId, revision, 'model.safetensors')} ` +
      `into that cache, or with Python: huggingface-cli download ${repoId} config.json model.safetensors --revision ${revision}`,
  );
}

/**
 * Downloads (or finds) config.json and the weights; `checkConfig` sees the config's path
 * (undefined when the repository has none) before the weights are fetched, and may throw.
 *
 * @example
 *   await fetchHub(ctx, () => {});
 */
export async function fetchHub(ctx: HubContext, checkConfig: (config: string | undefined) => void): Promise<HubFiles> {
  const config = await fetchHubFile(ctx, ctx.revision, 'config.json', { allowMissing: true });
  checkConfig('path' in config ? config.path : undefined);
  const pinned = config.commit ?? ctx.revision;
  for (const name of HUB_WEIGHT_FILES) {
    const got = await fetchHubFile(ctx, pinned, name, { allowMissing: true });
    if ('path' in got) return { commit: got.commit, config: 'path' in config ? config.path : undefined, weights: got.path };
  }
  throw new WeightsError('NOT_FOUND', `${ctx.spec}: repository '${ctx.repoId}' has neither ${HUB_WEIGHT_FILES.join(' nor ')} at revision '${ctx.revision}'`);
}
