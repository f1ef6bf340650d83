/**
 * Prometheus metrics of the server (prom-client, text format at GET /metrics): requests by
 * route and status, latency and queue-time histograms, the micro-batch size histogram,
 * requests in flight, and the process's resident memory (with prom-client's default
 * process metrics). One registry per server, so several servers in a process (tests) do not mix.
 *
 * @example
 *   const m = serverMetrics();
 *   m.requests.inc({ route: '/v1/classify', status: '200' });
 *   reply.type(m.registry.contentType).send(await m.registry.metrics());
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The server's Prometheus metrics (prom-client objects), served at /metrics. */
export interface ServerMetrics {
  /** The registry /metrics renders (these and the default process metrics). */
  registry: Registry;
  /** finegrain_http_requests_total, by route and status. */
  requests: Counter<'route' | 'status'>;
  /** Request latency by route, seconds. */
  latency: Histogram<'route'>;
  /** Time from admission to the start of the image's batch, seconds. */
  queueTime: Histogram;
  /** One batch's forward pass, seconds. */
  inferenceTime: Histogram;
  /** Images per forward pass. */
  batchSize: Histogram;
  /** Requests being handled now. */
  inFlight: Gauge;
}

export function serverMetrics(options: { maxBatch: number }): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'finegrain_' });
  const registers = [registry];
  const batchBuckets = [1, 2, 4, 8, 16, 32, 64].filter((b) => b <= Math.max(1, options.maxBatch));
  return {
    registry,
    requests: new Counter({ name: 'finegrain_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers }),
    latency: new Histogram({
      name: 'finegrain_http_request_duration_seconds',
      help: 'Request latency, arrival to answer',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueTime: new Histogram({
      name: 'finegrain_queue_time_seconds',
      help: 'Time an image waited for its micro-batch',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    inferenceTime: new Histogram({
      name: 'finegrain_batch_inference_seconds',
      help: 'Forward pass of one micro-batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    batchSize: new Histogram({ name: 'finegrain_batch_size', help: 'Images per forward pass', buckets: batchBuckets, registers }),
    inFlight: new Gauge({ name: 'finegrain_http_requests_in_flight', help: 'Requests being served', registers }),
  };
}
