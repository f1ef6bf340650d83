/**
 * `finegrain serve --checkpoint FILE [--checkpoint FILE2 ...]`: the recognition service —
 * POST /v1/classify and /v1/verify, GET /v1/model, /healthz, /readyz, /metrics,
 * /openapi.json and the web page at / — on 127.0.0.1:8080 unless told otherwise.
 *
 * @example
 *   finegrain serve --checkpoint runs/cars33/checkpoints/best.safetensors --port 8080
 */
import { parseArgs } from 'node:util';
import type { ServedModel } from '../../pipeline/served-model.js';
import type { Device } from '../../tensor/device.js';
import { createServer } from '../../serve/app.js';
import { DEFAULT_SERVE_OPTIONS as D } from '../../serve/options.js';
import { onShutdownSignals } from '../../serve/shutdown.js';
import { UsageError } from '../../usage-error.js';

// The libtorch path's modules (the classifier, eval's model flags, thread settings) are
// imported only when that runtime is chosen: --runtime onnx must not load the native addon.

const HELP = `usage: finegrain serve --checkpoint CKPT [--checkpoint CKPT2 --ensemble-weight W ...]
                       [--host ${D.host}] [--port ${D.port}] [--api-key KEY]
       finegrain serve --runtime onnx --checkpoint MODEL.onnx [...]

Serves a checkpoint (or an ensemble) over HTTP:
  POST /v1/classify   image (raw body, multipart field 'image', or JSON {"image": base64});
                      ?top_k=5&attention=true
  POST /v1/verify     the same plus claimed=<class name>: match | mismatch | uncertain
  GET  /v1/model      classes, architecture, input size, thresholds
  GET  /v1/model.onnx the model as ONNX, for the web page's on-device mode
  GET  /healthz, /readyz, /metrics (Prometheus), /openapi.json, / (web page)

  --runtime R           libtorch (default) or onnx: --checkpoint then names a .onnx file
                        written by finegrain export, served on ONNX Runtime without
                        libtorch (one file; no attention maps, TTA or ensembles; the
                        precision is the file's)
  --host H              address to listen on (default ${D.host}; 0.0.0.0 exposes it)
  --port N              (default ${D.port}; 0 picks a free port)
  --max-batch N         images per forward pass at most (default ${D.maxBatch})
  --batch-sizes LIST    the sizes a forward pass runs at, comma-separated, largest =
                        --max-batch (default: --max-batch and the powers of two below it,
                        8,4,2,1): a batch takes the largest the queue fills; warm-up runs
                        each. Every size costs the model a kernel set of a few MiB
  --max-wait-ms MS      how long a batch waits at most for requests still being decoded
                        (default ${D.maxWaitMs}; with none decoding it starts at once)
  --max-queue N         requests waiting at most; beyond: 503 + Retry-After (default ${D.maxQueue})
  --request-timeout-ms MS  504 after this long (default ${D.requestTimeoutMs})
  --body-limit BYTES    413 above (default ${D.bodyLimit})
  --max-pixels N        413 above, checked on the header (default ${D.maxPixels})
  --api-key KEY         require Authorization: Bearer KEY (or env FINEGRAIN_API_KEY)
  --no-warm-up          ready at once (first requests pay the warm-up)
  --no-web              no web page at /
  --gc-interval-ms MS   a minor garbage collection at most this often on each serving
                        thread while it works (default ${D.gcIntervalMs}): dead pixel buffers go
                        back within it instead of piling up; 0 leaves it to V8
  --threads N           intra-op threads per forward pass (default: every core, or
                        OMP_NUM_THREADS; ONNX Runtime's own choice with onnx); 1 is faster
                        on a machine busy with other work. With libtorch the forward passes
                        run on an inference thread of their own, never on the thread that
                        accepts, decodes and answers requests
  --precision P         auto (default: bfloat16 where the CPU is fast at it), float32, ... (libtorch)

Model options (libtorch): --checkpoint, --ensemble-weight, --ensemble, --tta, --device, --no-ema (see finegrain eval --help).

examples:
  finegrain serve --checkpoint runs/cars/checkpoints/best.safetensors          # http://127.0.0.1:8080/
  FINEGRAIN_API_KEY=secret finegrain serve --checkpoint a.safetensors --checkpoint b.safetensors --port 9000
  finegrain export --checkpoint best.safetensors --out cars.onnx && finegrain serve --runtime onnx --checkpoint cars.onnx`;

function int(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/** --max-batch and --batch-sizes: either implies the other (the largest size is the most per pass). */
function batchFlags(maxFlag: string | undefined, sizesFlag: string | undefined): { maxBatch?: number; batchSizes?: number[] } {
  const maxBatch = int(maxFlag, '--max-batch', 1);
  if (sizesFlag === undefined) return { maxBatch };
  const batchSizes = sizesFlag.split(',').map((v) => int(v.trim(), '--batch-sizes', 1)!);
  const largest = Math.max(...batchSizes);
  if (maxBatch !== undefined && largest !== maxBatch)
    throw new UsageError(`--batch-sizes must have --max-batch (${maxBatch}) as its largest size, got '${sizesFlag}'`);
  return { maxBatch: largest, batchSizes };
}

const SERVER_OPTIONS = {
  runtime: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'max-batch': { type: 'string' },
  'batch-sizes': { type: 'string' },
  'max-wait-ms': { type: 'string' },
  'max-queue': { type: 'string' },
  'request-timeout-ms': { type: 'string' },
  'body-limit': { type: 'string' },
  'max-pixels': { type: 'string' },
  'api-key': { type: 'string' },
  'no-warm-up': { type: 'boolean' },
  'no-web': { type: 'boolean' },
  'gc-interval-ms': { type: 'string' },
  threads: { type: 'string' },
} as const;

/** --runtime's value, read before the full parse (which options are valid depends on it). */
function runtimeOf(argv: readonly string[]): 'libtorch' | 'onnx' {
  let v: string | undefined;
  argv.forEach((a, i) => {
    if (a === '--runtime') v = argv[i + 1];
    else if (a.startsWith('--runtime=')) v = a.slice('--runtime='.length);
  });
  if (v === undefined || v === 'libtorch') return 'libtorch';
  if (v === 'onnx') return 'onnx';
  throw new UsageError(`--runtime must be libtorch or onnx, got '${v}'`);
}

/** The model of `--runtime onnx`: one exported .onnx file on ONNX Runtime. */
async function onnxModel(argv: string[], maxPixels: number | undefined): Promise<ServedModel> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { ...SERVER_OPTIONS, checkpoint: { type: 'string', multiple: true }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(
        `${err.message.split('.')[0]}: not available with --runtime onnx (one exported file, as exported: no ensembles, TTA, EMA choice or precision)`,
      );
    throw e;
  }
  const files = values.checkpoint ?? [];
  if (files.length !== 1) throw new UsageError('--runtime onnx serves one file: --checkpoint MODEL.onnx (written by finegrain export)');
  const path = files[0]!;
  const { existsSync } = await import('node:fs');
  if (!existsSync(path)) throw new UsageError(`model file not found: ${path}`);
  if (path.endsWith('.safetensors'))
    throw new UsageError(
      `${path} is a checkpoint; export it first (finegrain export --checkpoint ${path} --out model.onnx) or serve it with --runtime libtorch`,
    );
  const { loadOnnxModel } = await import('../../pipeline/onnx-model.js');
  try {
    return await loadOnnxModel(path, { intraOpThreads: int(values.threads, '--threads', 1), maxPixels });
  } catch (e) {
    throw new UsageError(`cannot serve ${path}: ${(e as Error).message}`);
  }
}

/**
 * The model of `--runtime libtorch` (the default): checkpoints through the classifier, on an
 * inference thread of its own (libtorch-thread.ts) so forward passes never block the
 * event loop that accepts, decodes and answers requests.
 */
async function libtorchModel(argv: string[], maxPixels: number | undefined, gcIntervalMs: number): Promise<ServedModel> {
  // Nothing here loads libtorch: the flags are parsed as given and the inference thread
  // resolves the device and precision, so the main thread holds no copy of that code.
  const [{ MODEL_OPTIONS, modelRequest }, { loadLibtorchThread }] = await Promise.all([
    import('../shared-flags.js'),
    import('../../pipeline/libtorch-thread.js'),
  ]);
  const { values, tokens } = parseArgs({ args: argv, options: { ...MODEL_OPTIONS, ...SERVER_OPTIONS }, tokens: true, strict: true });
  const threads = int(values.threads, '--threads', 1);
  // The server's default precision is the fast one ('auto'); eval/predict keep float32 unless asked.
  const r = modelRequest({ ...values, precision: values.precision ?? 'auto' }, tokens);
  return loadLibtorchThread(
    r.checkpoints.map((c) => c.path),
    {
      device: r.device as Device | 'auto',
      precision: r.precision,
      ensemble: r.ensemble,
      tta: r.tta,
      ensembleWeights: r.checkpoints.map((c) => c.weight ?? 1),
      ema: r.ema,
      maxPixels,
    },
    { threads, servingMemory: true, gcIntervalMs },
  );
}

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  const runtime = runtimeOf(argv);
  // The server's own options, whichever runtime (the model's are parsed by its loader).
  const { values } = parseArgs({ args: argv, options: SERVER_OPTIONS, strict: false });
  const str = (k: keyof typeof SERVER_OPTIONS) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const options = {
    host: str('host'),
    port: int(str('port'), '--port', 0),
    ...batchFlags(str('max-batch'), str('batch-sizes')),
    maxWaitMs: int(str('max-wait-ms'), '--max-wait-ms', 0),
    maxQueue: int(str('max-queue'), '--max-queue', 1),
    requestTimeoutMs: int(str('request-timeout-ms'), '--request-timeout-ms', 1),
    bodyLimit: int(str('body-limit'), '--body-limit', 1),
    maxPixels: int(str('max-pixels'), '--max-pixels', 1),
    apiKey: str('api-key') ?? (process.env.FINEGRAIN_API_KEY || undefined),
    warmUp: !values['no-warm-up'],
    web: !values['no-web'],
    gcIntervalMs: int(str('gc-interval-ms'), '--gc-interval-ms', 0) ?? D.gcIntervalMs,
  };
  const clf = runtime === 'onnx' ? await onnxModel(argv, options.maxPixels) : await libtorchModel(argv, options.maxPixels, options.gcIntervalMs);
  const server = await createServer(clf, options);
  onShutdownSignals(async () => {
    await server.close();
    clf.dispose();
  });
  // A dead inference thread cannot come back in this process: answer what is in flight (the
  // model has failed it), stop, and exit non-zero so a supervisor starts a fresh one.
  clf.onFailure?.((e) => {
    process.stderr.write(`finegrain serve: ${e.message}; exiting (status 1) so a supervisor can restart the service\n`);
    void server.close().finally(() => process.exit(1));
  });
  let address: string;
  try {
    address = await server.listen();
  } catch (e) {
    clf.dispose();
    const err = e as Error & { code?: string };
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL')
      throw new UsageError(`cannot listen on ${server.options.host}:${server.options.port}: ${err.message}`);
    throw e;
  }
  const i = clf.info;
  // One line tests and scripts can wait for.
  process.stderr.write(
    `finegrain serve: ${i.name} (${i.architectures.join('+')}, ${i.classes.length} classes, ${i.runtime}, ${i.precision}${i.channelsLast ? ', channels-last' : ''}) ready on ${address}${options.apiKey ? ' (API key required)' : ''}\n`,
  );
  // Keep running until a signal drains and exits.
  await new Promise<never>(() => {});
}
