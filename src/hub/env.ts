/**
 * Where things are, read from the environment exactly as the Python tools read it, so that
 * finegrain and PyTorch / huggingface_hub / timm share one cache on a machine that has both:
 *
 * - hub cache: `HF_HUB_CACHE`, else the legacy `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`;
 *   `HF_HOME` defaults to `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`
 *   (huggingface_hub's `constants.py`);
 * - torch hub checkpoints: `$TORCH_HOME/hub/checkpoints`, `TORCH_HOME` defaulting to
 *   `$XDG_CACHE_HOME/torch`, else `~/.cache/torch` (torch.hub's `_get_torch_home`);
 * - hub endpoint `HF_ENDPOINT` (default https://huggingface.co) and token `HF_TOKEN`, else the
 *   legacy `HUGGING_FACE_HUB_TOKEN`, else the file `HF_TOKEN_PATH` (default `$HF_HOME/token`,
 *   where `huggingface-cli login` writes it);
 * - offline: `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`, which huggingface_hub also honours)
 *   or finegrain's own `FINEGRAIN_OFFLINE`, true for 1/ON/YES/TRUE in any case;
 * - `FINEGRAIN_TORCHVISION_URL`: the folder torchvision's files are downloaded from (default
 *   https://download.pytorch.org/models/), for a mirror or a test server.
 *
 * Everything is read at call time, not at import, so a caller (or a test) may change the
 * environment between calls.
 *
 * @example
 *   hubCacheDir();          // '/home/me/.cache/huggingface/hub'
 *   checkpointsDir();       // '/home/me/.cache/torch/hub/checkpoints'
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** huggingface_hub's `_is_true`: 1, ON, YES, TRUE in any case. @example isTrue('yes'); // true */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.trim().toUpperCase());
}

/** A set variable's value, or undefined when unset or empty (an empty variable means "unset" to the Python tools too). */
function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** `~` expanded, made absolute, as Python's `os.path.expanduser`. */
function expand(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return resolve(path);
}

function xdgCache(): string {
  return expand(env('XDG_CACHE_HOME') ?? '~/.cache');
}

/** Whether the environment asks for offline mode. @example process.env.HF_HUB_OFFLINE = '1'; offlineFromEnv(); // true */
export function offlineFromEnv(): boolean {
  return isTrue(env('HF_HUB_OFFLINE')) || isTrue(env('TRANSFORMERS_OFFLINE')) || isTrue(env('FINEGRAIN_OFFLINE'));
}

/** huggingface_hub's home folder (token, hub cache). @example hfHome(); // '/home/me/.cache/huggingface' */
export function hfHome(): string {
  const home = env('HF_HOME');
  return home ? expand(home) : join(xdgCache(), 'huggingface');
}

/** The hub cache folder (the one holding `models--org--repo/`). @example hubCacheDir('/tmp/c'); // '/tmp/c' */
export function hubCacheDir(override?: string): string {
  if (override) return expand(override);
  const dir = env('HF_HUB_CACHE') ?? env('HUGGINGFACE_HUB_CACHE');
  return dir ? expand(dir) : join(hfHome(), 'hub');
}

/** torch.hub's checkpoints folder. @example checkpointsDir(); // '/home/me/.cache/torch/hub/checkpoints' */
export function checkpointsDir(override?: string): string {
  if (override) return expand(override);
  const torchHome = env('TORCH_HOME');
  return join(torchHome ? expand(torchHome) : join(xdgCache(), 'torch'), 'hub', 'checkpoints');
}

/** The hub's base URL, without a trailing slash. @example hfEndpoint(); // 'https://huggingface.co' */
export function hfEndpoint(): string {
  return (env('HF_ENDPOINT') ?? 'https://huggingface.co').replace(/\/+$/, '');
}

/**
 * The hub token, or undefined: `HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, then the token file.
 * @example hfToken(); // 'hf_…' after `huggingface-cli login`
 */
export function hfToken(): string | undefined {
  const direct = env('HF_TOKEN') ?? env('HUGGING_FACE_HUB_TOKEN');
  if (direct) return direct.trim() || undefined;
  const file = env('HF_TOKEN_PATH') ? expand(env('HF_TOKEN_PATH')!) : join(hfHome(), 'token');
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined; // no token file: anonymous access, as huggingface_hub
  }
}

/** The folder torchvision's weight files are fetched from, ending in '/'. @example torchvisionBaseUrl(); // 'https://download.pytorch.org/models/' */
export function torchvisionBaseUrl(): string {
  const base = env('FINEGRAIN_TORCHVISION_URL') ?? 'https://download.pytorch.org/models/';
  return base.endsWith('/') ? base : `${base}/`;
}
