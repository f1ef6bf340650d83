/**
 * The HTTP routes: POST /v1/classify, POST /v1/verify, the class routes (class-routes.ts), GET /v1/model, /v1/model.onnx,
 * /healthz, /readyz, /metrics, /openapi.json and the web page (with its on-device files). Each image request: admission (bounded queue,
 * 503 when full), reading the body (three forms, see request-input.ts), decoding on libuv's
 * pool (sharp; 400 with the decoder's reason, 413 over the pixel limit), a place in the next
 * micro-batch, the answer with timings. A request past its deadline gets 504.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ImageDecodeError } from '../data/decode/decode-image.js';
import { decodeOptionsFor } from '../pipeline/input.js';
import { NotAvailableError, UnknownClassError, type BatchItem, type BatchResult, type ServedModel } from '../pipeline/served-model.js';
import { resolveClaim } from '../pipeline/classifier.js';
import { QueueFullError, RequestTimeoutError, type MicroBatcher } from './batcher.js';
import { withDeadline } from './deadline.js';
import { HttpError } from './errors.js';
import type { ServerMetrics } from './metrics.js';
import type { OpenApiCollector } from './openapi.js';
import type { ServeOptions } from './options.js';
import { readRequestInput } from './request-input.js';
import { registerClassRoutes } from './class-routes.js';
import { attentionJson, hierarchyJson, qualityJson, snakeKeys, unknownJson } from './responses.js';
import { classifySchema, errorSchema, healthSchema, modelSchema, readySchema, verifySchema } from './schemas.js';
import { loadWebAssets, onDeviceFiles } from './web-assets.js';

export interface RouteContext {
  clf: ServedModel;
  batcher: MicroBatcher<BatchItem, BatchResult>;
  metrics: ServerMetrics;
  options: ServeOptions;
  openapi: OpenApiCollector;
  state: { ready: boolean; draining: boolean };
}

const ms = (t0: number) => Math.round((performance.now() - t0) * 100) / 100;

function decodeFailure(e: ImageDecodeError): HttpError {
  const detail = e.message.replace(/^<[^>]*>: /, '');
  if (e.reason === 'too-large') return new HttpError(413, 'image_too_large', `the image has more pixels than the limit: ${detail}`, { reason: e.reason });
  return new HttpError(400, 'bad_image', `the image could not be decoded: ${detail}`, { reason: e.reason });
}

async function runImageRequest(ctx: RouteContext, request: FastifyRequest, mode: 'classify' | 'verify') {
  const t0 = performance.now();
  const deadline = t0 + ctx.options.requestTimeoutMs;
  if (!ctx.state.ready)
    throw new HttpError(503, 'not_ready', ctx.state.draining ? 'the server is shutting down' : 'the model is still warming up', {}, { 'retry-after': '1' });
  let ticket;
  try {
    ticket = ctx.batcher.admit();
  } catch (e) {
    if (e instanceof QueueFullError) throw new HttpError(503, 'overloaded', e.message, {}, { 'retry-after': String(e.retryAfterS) });
    throw e;
  }
  try {
    const input = await readRequestInput(request, ctx.clf.classes.length);
    if (input.attention && ctx.clf.info.attentionMethod === null)
      throw new HttpError(
        400,
        'attention_unavailable',
        `attention maps are not available with --runtime ${ctx.clf.info.runtime}: the exported graph has no feature-map output; ask without attention=true (or serve the checkpoint with --runtime libtorch)`,
      );
    let claimedClass: number | undefined;
    let claimAtLevel = false;
    if (mode === 'verify') {
      if (input.claimed === undefined || input.claimed.trim() === '')
        throw new HttpError(400, 'missing_claimed', "verify needs 'claimed': the class the photo claims to show");
      try {
        // A class, or with a hierarchy a make or a model (decided at its level).
        ({ index: claimedClass, atLevel: claimAtLevel } = await resolveClaim(ctx.clf, input.claimed));
      } catch (e) {
        if (e instanceof UnknownClassError) throw new HttpError(400, 'unknown_class', e.message, { closest: e.closest });
        if ((e as Error).name === 'UnknownClaimError')
          throw new HttpError(400, 'unknown_class', (e as Error).message, { closest: (e as { closest?: string[] }).closest ?? [] });
        throw e;
      }
    }
    const tDecode = performance.now();
    let image;
    try {
      image = await withDeadline(ctx.clf.decode(input.image), deadline);
    } catch (e) {
      if (e instanceof ImageDecodeError) throw decodeFailure(e);
      throw e;
    }
    const decodeMs = ms(tDecode);
    const attentionClass = input.attention ? (mode === 'verify' && !claimAtLevel ? claimedClass : 'top') : undefined;
    const used = ticket;
    ticket = undefined; // submitted: the batcher owns the place now
    // The claim also by name: an enrolled class can be removed (and indices move) before the batch runs.
    const claimedLabel = mode === 'verify' ? input.claimed!.trim() : undefined;
    const outcome = await withDeadline(
      used.submit({ image, topK: input.topK, claimedClass, claimedLabel, claimAtLevel, attentionClass }, { deadline }),
      deadline,
    );
    ctx.metrics.queueTime.observe(outcome.queueMs / 1000);
    const r = outcome.result;
    const attention = attentionJson(await ctx.clf.renderAttention(image, r));
    const body: Record<string, unknown> = {
      predictions: r.predictions,
      unknown: unknownJson(r.unknown),
      quality: qualityJson(r.quality),
      ...(r.hierarchy ? { hierarchy: hierarchyJson(r.hierarchy) } : {}),
      ...attention,
      model: modelJson(ctx.clf),
      timing_ms: {
        decode: decodeMs,
        queue: Math.round(outcome.queueMs * 100) / 100,
        inference: Math.round(outcome.inferenceMs * 100) / 100,
        total: ms(t0),
        batch_size: outcome.batchSize,
      },
    };
    if (mode === 'verify') {
      const d = ctx.clf.decideVerification(r);
      return { decision: d.decision, reason: d.reason, claimed: d.claimed, ...(d.level && { level: d.level }), ...body };
    }
    return body;
  } catch (e) {
    if (e instanceof RequestTimeoutError) throw new HttpError(504, 'timeout', `no answer within ${ctx.options.requestTimeoutMs} ms`);
    throw e;
  } finally {
    ticket?.release();
  }
}

function modelJson(clf: ServedModel) {
  return { name: clf.info.name, architecture: clf.info.architectures.join('+'), checkpoint_hash: clf.info.checkpoints.map((c) => c.sha256).join('+') };
}

const modelFileSchema = {
  summary: "The served model as ONNX (finegrain export's format): what the web page's on-device mode runs",
  description:
    'With --runtime onnx the served file; with libtorch the checkpoint exported on the first request and kept in memory. ETag + If-None-Match → 304. 409 for an ensemble.',
  response: { 200: { type: 'string', format: 'binary' }, 304: { type: 'null', description: 'not modified' }, 409: errorSchema },
};
const metricsSchema = { summary: 'Prometheus metrics (text format)', response: { 200: { type: 'string' } } };
/** Routes left out of the OpenAPI document. */
const HIDDEN = { hidden: true } as Record<string, unknown>;

export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/classify', { schema: classifySchema }, (req) => runImageRequest(ctx, req, 'classify'));
  registerClassRoutes(app, ctx);
  app.post('/v1/verify', { schema: verifySchema }, (req) => runImageRequest(ctx, req, 'verify'));
  app.get('/v1/model', { schema: modelSchema }, async () => {
    const i = ctx.clf.info;
    return {
      ...modelJson(ctx.clf),
      runtime: i.runtime,
      model_file: '/v1/model.onnx',
      architectures: i.architectures,
      checkpoints: i.checkpoints.map((c) => ({ path: c.path, sha256: c.sha256, weight: c.weight })),
      classes: i.classes,
      num_classes: i.classes.length,
      input_size: i.inputSize,
      // decode_side: the short side photos are decoded to before the resize (the page's on-device mode decodes to it too).
      preprocess: { ...(snakeKeys(i.preprocess) as object), decode_side: decodeOptionsFor(i.preprocess).maxShortSide },
      device: i.device,
      precision: i.precision,
      channels_last: i.channelsLast,
      ensemble: i.ensemble,
      attention_method: i.attentionMethod,
      thresholds: { unknown: snakeKeys(i.calibration), quality: snakeKeys(i.qualityThresholds), verification: snakeKeys(i.verificationThresholds) },
      hierarchy: i.hierarchy,
      enrolled: (i.enrolled ?? []).map((c) => ({ name: c.name, photos: c.photos, enrolled_at: c.enrolledAt, ...(c.parents && { parents: c.parents }) })),
      batching: { max_batch: ctx.options.maxBatch, max_wait_ms: ctx.options.maxWaitMs, max_queue: ctx.options.maxQueue },
      limits: { body_limit_bytes: ctx.options.bodyLimit, max_pixels: ctx.options.maxPixels, request_timeout_ms: ctx.options.requestTimeoutMs },
    };
  });
  app.get('/v1/model.onnx', { schema: modelFileSchema }, async (req, reply) => {
    let file;
    try {
      file = await ctx.clf.onnxModel();
    } catch (e) {
      if (e instanceof NotAvailableError) throw new HttpError(409, 'not_available', e.message);
      throw e;
    }
    const etag = `"${file.sha256}"`;
    // Revalidated by ETag: a page fetches the model once and a reload costs a 304.
    reply
      .header('etag', etag)
      .header('cache-control', 'private, no-cache')
      .header('content-disposition', `attachment; filename="${ctx.clf.info.architectures[0]}.onnx"`);
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/octet-stream').send(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength));
  });
  app.get('/healthz', { schema: healthSchema }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: readySchema }, async (_req, reply) => {
    if (ctx.state.ready) return { status: 'ready' };
    return reply.code(503).send({ status: ctx.state.draining ? 'draining' : 'warming up' });
  });
  app.get('/metrics', { schema: metricsSchema }, async (_req, reply: FastifyReply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
  app.get('/openapi.json', { config: HIDDEN }, async () => ctx.openapi.document());
  if (ctx.options.web) {
    const assets = loadWebAssets();
    const send = (name: string, reply: FastifyReply) => {
      const a = assets.get(name);
      if (!a) return reply.code(404).send({ error: 'not_found', message: `no such file: ${name}` });
      return reply.type(a.type).header('cache-control', 'no-cache').send(a.body);
    };
    app.get('/', { config: HIDDEN }, (_req, reply) => send('index.html', reply));
    app.get<{ Params: { file: string } }>('/web/:file', { config: HIDDEN }, (req, reply) => send(req.params.file, reply));
    const onDevice = onDeviceFiles();
    for (const [prefix, files] of [
      ['ort', onDevice.ort],
      ['lib', onDevice.lib],
    ] as const) {
      app.get<{ Params: { file: string } }>(`/web/${prefix}/:file`, { config: HIDDEN }, (req, reply) => {
        const a = files(req.params.file);
        if (!a) return reply.code(404).send({ error: 'not_found', message: `no such file: ${prefix}/${req.params.file}` });
        return reply
          .type(a.type)
          .header('cache-control', prefix === 'ort' ? 'public, max-age=86400' : 'no-cache')
          .send(a.body);
      });
    }
  }
}
