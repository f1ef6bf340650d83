/**
 * HTTP for the weights hub, on undici: `EnvHttpProxyAgent` honours `HTTPS_PROXY`,
 * `HTTP_PROXY` and `NO_PROXY` (and their lower-case forms) as curl and Python's requests do —
 * Node 20's global fetch ignores proxies, and a hand-written proxy client would miss the
 * cases undici already handles (CONNECT tunnels, proxy credentials, NO_PROXY matching).
 *
 * Redirects are followed here, by hand, for one reason: the `Authorization` header must go
 * only to the origin it was meant for. The hub answers a download with a 302 to its storage
 * host, whose URL is signed; sending the user's token there would leak it (huggingface_hub
 * drops it for the same reason).
 *
 * @example
 *   const http = createHttp(signal);
 *   const res = await send(http, 'https://huggingface.co/timm/x/resolve/main/config.json', { method: 'GET' });
 *   await http.close();
 */
import type { Readable } from 'node:stream';
import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { WeightsError } from './errors.js';

/**
 * One resolve's connection pool and cancellation.
 * @example const http: Http = createHttp(controller.signal);
 */
export interface Http {
  readonly dispatcher: Dispatcher;
  readonly signal?: AbortSignal;
  close(): Promise<void>;
}

/**
 * A response with headers flattened to strings (lower-case names) and the URL that answered.
 * @example const commit = res.headers['x-repo-commit'];
 */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The URL this response came from (after the redirects that were followed). */
  url: string;
  body: Readable & { dump(): Promise<void> };
}

/**
 * How to send one request.
 * @example const opts: SendOptions = { method: 'HEAD', follow: 'same-origin', authOrigin: 'https://huggingface.co' };
 */
export interface SendOptions {
  method: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** The only origin the `authorization` header may be sent to; other origins get none. */
  authOrigin?: string;
  /**
   * 'all' follows every redirect; 'same-origin' stops at a redirect to another origin and
   * returns it (the hub's HEAD: a renamed repository is followed, the storage host is not).
   */
  follow: 'all' | 'same-origin';
}

const USER_AGENT = `finegrain (node ${process.versions.node})`;

/**
 * A pool that reads the proxy variables now (so a change of environment between resolves is
 * seen). Timeouts: 30 s to connect and to get headers, 60 s of silence mid-body — long
 * enough for a slow mirror, short enough that a dead connection is retried, not waited on.
 *
 * @example
 *   const http = createHttp(); try { … } finally { await http.close(); }
 */
export function createHttp(signal?: AbortSignal): Http {
  const dispatcher = new EnvHttpProxyAgent({ connect: { timeout: 30_000 }, headersTimeout: 30_000, bodyTimeout: 60_000 });
  return { dispatcher, signal, close: () => dispatcher.close() };
}

/**
 * Sends a request, following redirects as `options.follow` says, never forwarding
 * `authorization` to another origin. Network failures become a `WeightsError('NETWORK')`
 * naming the host and the variables that matter; an aborted signal becomes 'ABORTED'.
 *
 * @example
 *   const res = await send(http, url, { method: 'HEAD', headers: { authorization: 'Bearer hf_…' }, authOrigin: 'https://huggingface.co', follow: 'same-origin' });
 */
export async function send(http: Http, url: string, options: SendOptions): Promise<HttpResponse> {
  let current = url;
  for (let hop = 0; hop <= 10; hop++) {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...options.headers };
    if (headers.authorization !== undefined && new URL(current).origin !== options.authOrigin) delete headers.authorization;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(current, { method: options.method, headers, dispatcher: http.dispatcher, signal: http.signal });
    } catch (e) {
      throw networkError(current, e, http.signal);
    }
    const flat = flatten(res.headers);
    const location = flat.location;
    if (res.statusCode >= 300 && res.statusCode < 400 && location !== undefined) {
      const next = new URL(location, current).href;
      if (options.follow === 'same-origin' && new URL(next).origin !== new URL(current).origin) {
        return { status: res.statusCode, headers: flat, url: current, body: res.body };
      }
      await res.body.dump();
      current = next;
      continue;
    }
    return { status: res.statusCode, headers: flat, url: current, body: res.body };
  }
  throw new WeightsError('HTTP', `too many redirects starting from ${url}`);
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v[0]! : v;
  return out;
}

/**
 * The one-line error for a request that got no answer (or lost its connection mid-body).
 *
 * @example
 *   throw networkError('https://huggingface.co/…', e, signal);
 */
export function networkError(url: string, cause: unknown, signal?: AbortSignal): WeightsError {
  if (signal?.aborted) return new WeightsError('ABORTED', `download of ${url} aborted`, { cause });
  const host = new URL(url).host;
  const e = cause as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const why = [e.cause?.code ?? e.code, e.cause?.message ?? e.message].filter(Boolean).join(': ');
  return new WeightsError(
    'NETWORK',
    `cannot reach ${host} (${why || String(cause)}). Check the network; behind a proxy set HTTPS_PROXY / HTTP_PROXY (and NO_PROXY); ` +
      'to use only what is already cached set HF_HUB_OFFLINE=1 or FINEGRAIN_OFFLINE=1',
    { cause },
  );
}

/**
 * The error for an unexpected status from a plain download host (torchvision's, a URL).
 *
 * @example
 *   if (res.status !== 200) throw httpStatusError(res.status, url);
 */
export function httpStatusError(status: number, url: string): WeightsError {
  if (status === 404) return new WeightsError('NOT_FOUND', `${url}: 404 not found`);
  if (status === 401) return new WeightsError('UNAUTHORIZED', `${url}: 401 unauthorized (the server wants credentials)`);
  if (status === 403) return new WeightsError('FORBIDDEN', `${url}: 403 forbidden`);
  return new WeightsError('HTTP', `${url}: unexpected HTTP status ${status}`);
}
