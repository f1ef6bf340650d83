/**
 * The HTTP server of `finegrain serve`, for programs that embed it: `createServer(model)`
 * serves a classifier (classify, verify, attention maps, metrics, the web page) with Fastify.
 * A subpath of its own (`finegrain/serve`) so that importing `finegrain` does not load the
 * HTTP stack.
 *
 * @example
 *   import { classifier } from 'finegrain';
 *   import { createServer } from 'finegrain/serve';
 *   const server = await createServer(await classifier('best.safetensors'), { host: '127.0.0.1', port: 8080 });
 *   await server.listen();
 *
 * @module finegrain/serve
 */
export { createServer, type Server } from './app.js';
export type { ServerMetrics } from './metrics.js';
export { DEFAULT_SERVE_OPTIONS, servedBatchSizes, type ServeOptions } from './options.js';
