/**
 * `finegrain serve --checkpoint FILE [--checkpoint FILE2 ...]`: the recognition service —
 * POST /v1/classify and /v1/verify, GET /v1/model, /healthz, /readyz, /metrics,
 * /openapi.json and the web page at / — on 127.0.0.1:8080 unless told otherwise.
 *
 * @example
 *   finegrain serve --checkpoint runs/cars33/checkpoints/best.safetensors --port 8080
 */
import { parseArgs } from 'node:util';
import { classifier } from '../../pipeline/classifier.js';
import { createServer } from '../../serve/app.js';
import { DEFAULT_SERVE_OPTIONS as D } from '../../serve/options.js';
import { onShutdownSignals } from '../../serve/shutdown.js';
import { setNumThreads, useAllCores } from '../../runtime/settings.js';
import { MODEL_OPTIONS, modelFlags, usageError } from './eval.js';

const HELP = `usage: finegrain serve --checkpoint CKPT [--checkpoint CKPT2 --ensemble-weight W ...]
                       [--host ${D.host}] [--port ${D.port}] [--api-key KEY]

Serves a checkpoint (or an ensemble) over HTTP:
  POST /v1/classify   image (raw body, multipart field 'image', or JSON {"image": base64});
                      ?top_k=5&attention=true
  POST /v1/verify     the same plus claimed=<class name>: match | mismatch | uncertain
  GET  /v1/model      classes, architecture, input size, thresholds
  GET  /healthz, /readyz, /metrics (Prometheus), /openapi.json, / (web page)

  --host H              address to listen on (default ${D.host}; 0.0.0.0 exposes it)
  --port N              (default ${D.port}; 0 picks a free port)
  --max-batch N         images per forward pass at most (default ${D.maxBatch})
  --max-wait-ms MS      how long a batch waits for company (default ${D.maxWaitMs})
  --max-queue N         requests waiting at most; beyond: 503 + Retry-After (default ${D.maxQueue})
  --request-timeout-ms MS  504 after this long (default ${D.requestTimeoutMs})
  --body-limit BYTES    413 above (default ${D.bodyLimit})
  --max-pixels N        413 above, checked on the header (default ${D.maxPixels})
  --api-key KEY         require Authorization: Bearer KEY (or env FINEGRAIN_API_KEY)
  --no-warm-up          ready at once (first requests pay the warm-up)
  --no-web              no web page at /
  --threads N           intra-op threads per forward pass (default: every core, or
                        OMP_NUM_THREADS); 1 is faster on a machine busy with other work
  --precision P         auto (default: bfloat16 where the CPU is fast at it), float32, ...

Model options: --checkpoint, --ensemble-weight, --ensemble, --tta, --device, --no-ema (see finegrain eval --help).

examples:
  finegrain serve --checkpoint runs/cars/checkpoints/best.safetensors          # http://127.0.0.1:8080/
  FINEGRAIN_API_KEY=secret finegrain serve --checkpoint a.safetensors --checkpoint b.safetensors --port 9000`;

function int(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw usageError(`${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
}

export async function run(argv: string[]): Promise<void> {
  useAllCores();
  const { values, tokens } = parseArgs({
    args: argv,
    options: {
      ...MODEL_OPTIONS,
      host: { type: 'string' },
      port: { type: 'string' },
      'max-batch': { type: 'string' },
      'max-wait-ms': { type: 'string' },
      'max-queue': { type: 'string' },
      'request-timeout-ms': { type: 'string' },
      'body-limit': { type: 'string' },
      'max-pixels': { type: 'string' },
      'api-key': { type: 'string' },
      'no-warm-up': { type: 'boolean' },
      'no-web': { type: 'boolean' },
      threads: { type: 'string' },
    },
    tokens: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const threads = int(values.threads, '--threads', 1);
  if (threads) setNumThreads(threads);
  // The server's default precision is the fast one; eval/predict keep float32 unless asked.
  const flags = modelFlags({ ...values, precision: values.precision ?? 'auto' }, tokens);
  const { device, precision, channelsLast, ensemble, tta } = flags.predict;
  const options = {
    host: values.host,
    port: int(values.port, '--port', 0),
    maxBatch: int(values['max-batch'], '--max-batch', 1),
    maxWaitMs: int(values['max-wait-ms'], '--max-wait-ms', 0),
    maxQueue: int(values['max-queue'], '--max-queue', 1),
    requestTimeoutMs: int(values['request-timeout-ms'], '--request-timeout-ms', 1),
    bodyLimit: int(values['body-limit'], '--body-limit', 1),
    maxPixels: int(values['max-pixels'], '--max-pixels', 1),
    apiKey: values['api-key'] ?? (process.env.FINEGRAIN_API_KEY || undefined),
    warmUp: !values['no-warm-up'],
    web: !values['no-web'],
  };
  const clf = await classifier(
    flags.checkpoints.map((c) => c.path),
    {
      device,
      precision,
      channelsLast,
      ensemble,
      tta,
      ensembleWeights: flags.checkpoints.map((c) => c.weight ?? 1),
      ema: flags.ema,
      maxPixels: options.maxPixels ?? undefined,
    },
  );
  const server = await createServer(clf, { ...options, maxPixels: options.maxPixels ?? undefined });
  onShutdownSignals(async () => {
    await server.close();
    clf.dispose();
  });
  let address: string;
  try {
    address = await server.listen();
  } catch (e) {
    clf.dispose();
    const err = e as Error & { code?: string };
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL')
      throw usageError(`cannot listen on ${server.options.host}:${server.options.port}: ${err.message}`);
    throw e;
  }
  const i = clf.info;
  // One line tests and scripts can wait for.
  process.stderr.write(
    `finegrain serve: ${i.name} (${i.architectures.join('+')}, ${i.classes.length} classes, ${i.precision}${i.channelsLast ? ', channels-last' : ''}) ready on ${address}${options.apiKey ? ' (API key required)' : ''}\n`,
  );
  // Keep running until a signal drains and exits.
  await new Promise<never>(() => {});
}
