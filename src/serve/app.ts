/**
 * The serving application: a Fastify server around a `Classifier` or the `ServedModel` behind
 * one (libtorch in this thread or on a worker thread, or ONNX Runtime) — content-type parsers
 * for the three image forms, the body-size limit, the optional API key, metrics hooks, one
 * error handler that turns every failure into a JSON answer with the right status (no input
 * crashes the process or leaks a stack), the micro-batcher, and warm-up before ready.
 *
 * @example
 *   const clf = await classifier('best.safetensors');
 *   const server = await createServer(clf, { port: 0 });
 *   await server.listen();            // http://127.0.0.1:<port>
 *   await server.close();             // drains in-flight requests
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { servedModelOf, type Classifier } from '../pipeline/classifier.js';
import type { BatchItem, BatchResult, ServedModel } from '../pipeline/served-model.js';
import { MicroBatcher } from './batcher.js';
import { HttpError } from './errors.js';
import { serverMetrics, type ServerMetrics } from './metrics.js';
import { openApiCollector } from './openapi.js';
import { DEFAULT_SERVE_OPTIONS, servedBatchSizes, type ServeOptions } from './options.js';
import { registerRoutes, type RouteContext } from './routes.js';
import { setQualityThreadGcInterval, warmUpQualityThread } from '../pipeline/quality-thread.js';
import { paceGarbageCollection, type GcPacer } from '../runtime/gc-pacing.js';

/** A configured server (`createServer`): listen, then close. */
export interface Server {
  /** The Fastify instance (add routes or hooks before `listen()`). */
  app: FastifyInstance;
  /** The Prometheus metrics the server records (its registry is served at /metrics). */
  metrics: ServerMetrics;
  /** The settings in effect, defaults filled in. */
  options: ServeOptions;
  /** Starts listening, then warms up; resolves with the address once ready. */
  listen(): Promise<string>;
  /** Stops accepting, finishes what is in flight, and closes (the classifier stays the caller's). */
  close(): Promise<void>;
  /** Whether /readyz says ready: listening and warmed up, not draining. */
  readonly ready: boolean;
}

const IMAGE_TYPES = /^(image\/[\w.+-]+|application\/octet-stream)$/i;

function authorised(header: string | string[] | undefined, apiKey: string): boolean {
  const v = Array.isArray(header) ? header[0] : header;
  return v === apiKey || v === `Bearer ${apiKey}`;
}

/**
 * A server for a classifier (or the model behind one), configured but not yet listening. The
 * classifier stays the caller's: `close()` does not dispose it.
 */
export async function createServer(model: Classifier | ServedModel, overrides: Partial<ServeOptions> = {}): Promise<Server> {
  const clf = servedModelOf(model);
  const options: ServeOptions = { ...DEFAULT_SERVE_OPTIONS, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
  const app = Fastify({
    bodyLimit: Math.ceil(options.bodyLimit * 1.37) + 4096, // JSON carries base64 (4/3) of an image up to the limit
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false } },
  });
  const metrics = serverMetrics({ maxBatch: options.maxBatch });
  // This thread's dead request and pixel buffers go back every gcIntervalMs while it serves
  // (runtime/gc-pacing.ts); the quality thread does the same. Started at listen, stopped at close.
  let pacer: GcPacer | null = null;
  setQualityThreadGcInterval(options.gcIntervalMs);
  const state = { ready: false, draining: false };
  const batchSizes = servedBatchSizes(options);
  const batcher = new MicroBatcher<BatchItem, BatchResult>({
    maxBatch: options.maxBatch,
    batchSizes,
    maxWaitMs: options.maxWaitMs,
    maxQueue: options.maxQueue,
    run: (items) => clf.runBatch(items),
    onBatch: (size, ms) => {
      metrics.batchSize.observe(size);
      metrics.inferenceTime.observe(ms / 1000);
    },
  });
  const openapi = openApiCollector(app, { title: 'finegrain serve', version: '1', description: `Fine-grained recognition with ${clf.info.name}` });

  // Raw images: any image/* type and octet-stream, up to the body limit; text/plain is no image.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(IMAGE_TYPES, { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_req, body, done) => done(null, body));
  await app.register(multipart, { limits: { fileSize: options.bodyLimit, files: 1, fields: 10, fieldSize: 64 * 1024 } });

  app.addHook('onRequest', async (req, reply) => {
    metrics.inFlight.inc();
    (req as unknown as { t0: number }).t0 = performance.now();
    if (options.apiKey && (req.url.startsWith('/v1/') || req.url.startsWith('/metrics'))) {
      if (!authorised(req.headers.authorization, options.apiKey) && !authorised(req.headers['x-api-key'], options.apiKey)) {
        reply.header('www-authenticate', 'Bearer');
        throw new HttpError(401, 'unauthorized', 'an API key is required: Authorization: Bearer <key> or X-API-Key: <key>');
      }
    }
  });
  // While draining, answers close their connection, so keep-alive clients let go and close() can finish.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (state.draining) reply.header('connection', 'close');
    // Cross-origin isolation, so the page's on-device mode gets WebAssembly threads
    // (SharedArrayBuffer); everything the page loads is same-origin, so nothing breaks.
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-embedder-policy', 'require-corp');
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    pacer?.noteWork();
    metrics.inFlight.dec();
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, (performance.now() - (req as unknown as { t0: number }).t0) / 1000);
  });

  app.setErrorHandler((error: FastifyError | HttpError | Error, _req, reply) => {
    if (error instanceof HttpError) {
      for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
      return reply.code(error.statusCode).send(error.toJSON());
    }
    const e = error as FastifyError & { part?: unknown };
    const status = e.statusCode ?? 500;
    if (e.validation) return reply.code(400).send({ error: 'bad_request', message: e.message });
    if (status === 413 || e.code === 'FST_REQ_FILE_TOO_LARGE' || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send({ error: 'body_too_large', message: `the request body is over the limit of ${options.bodyLimit} bytes` });
    if (status === 415 || e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply.code(415).send({
        error: 'unsupported_media_type',
        message: 'send the image as image/*, application/octet-stream, multipart/form-data (field image) or JSON {"image": "<base64>"}',
      });
    if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError)
      return reply.code(400).send({ error: 'bad_json', message: `the JSON body could not be parsed: ${e.message}` });
    if (status >= 400 && status < 500) return reply.code(status).send({ error: 'bad_request', message: e.message });
    // Anything else is our fault: say so without the stack, and keep serving.
    process.stderr.write(`finegrain serve: ${e.stack ?? e.message}\n`);
    return reply.code(500).send({ error: 'internal', message: 'internal error: ' + e.message.split('\n')[0] });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` }));

  const ctx: RouteContext = { clf, batcher, metrics, options, openapi, state };
  registerRoutes(app, ctx);

  return {
    app,
    metrics,
    options,
    get ready() {
      return state.ready;
    },
    async listen() {
      const address = await app.listen({ host: options.host, port: options.port });
      pacer ??= paceGarbageCollection(options.gcIntervalMs);
      if (options.warmUp) {
        // Every batch size the batcher runs, largest first: the first pass at a new shape
        // pays for oneDNN's kernel set-up and its plan variant (a few MiB each), so serving
        // neither slows nor grows when a size first turns up; the smaller batches run in the
        // arena memory the largest leaves (tensor-cache.cc).
        await new Promise((r) => setImmediate(r));
        await Promise.all([clf.warmUp(batchSizes, 1), warmUpQualityThread()]);
      }
      state.ready = true;
      return address;
    },
    async close() {
      state.ready = false;
      state.draining = true;
      pacer?.stop();
      pacer = null;
      // In-flight requests finish within their timeout; after that, connections are cut.
      const cut = setTimeout(() => app.server.closeAllConnections(), options.requestTimeoutMs + 2000);
      try {
        await app.close();
        await batcher.idle();
      } finally {
        clearTimeout(cut);
      }
    },
  };
}
