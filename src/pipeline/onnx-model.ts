/**
 * An exported model (`finegrain export`'s .onnx file) as a `ServedModel` on ONNX Runtime
 * (onnxruntime-node), for machines without libtorch: `finegrain serve --runtime onnx`. The
 * same decoding as the libtorch classifier (sharp, shrink-on-load to the same side), the same
 * preprocessing in plain JavaScript from the file's metadata (pixels-to-input.ts, bit-identical
 * to the native kernels), the same quality checks (assessQuality) and verification rule, and
 * the unknown verdict from the file's calibration metadata (logit-verdict.ts). Attention maps
 * need the feature map, which the graph does not output: they are not available here.
 *
 * Nothing this file imports loads the native addon (test/serve/api-onnx.test.ts checks the
 * served process's mapped libraries).
 *
 * @example
 *   const clf = await loadOnnxModel('cars.onnx', { intraOpThreads: 2 });
 *   const image = await clf.decode(bytes);
 *   const [r] = await clf.runBatch([{ image, topK: 3 }]);
 *   clf.dispose();
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { OnnxRuntimeSession } from '../export/onnx-runtime-session.js';
import type { ExportMetadata } from '../export/metadata.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import { logitVerdicts, type LogitVerdicts } from '../open-world/logit-verdict.js';
import { DEFAULT_QUALITY_THRESHOLDS, type QualityThresholds } from '../open-world/quality.js';
import type { ClassifierInput } from './input.js';
import { pixelsToInput } from './pixels-to-input.js';
import {
  indexOfClass,
  NotAvailableError,
  type AttentionImages,
  type BatchItem,
  type BatchResult,
  type DecodedImage,
  type OnnxModelFile,
  type ServedModel,
  type ServedModelInfo,
  type VerificationAnswer,
} from './served-model.js';
import { DEFAULT_VERIFICATION_THRESHOLDS, type VerificationThresholds } from './verification.js';
import { decodeServed, rowAnswer, verificationAnswer } from './served-answers.js';

export interface OnnxModelOptions {
  /** ONNX Runtime's threads inside one run (default: its own choice). */
  intraOpThreads?: number;
  quality?: QualityThresholds;
  verification?: Partial<VerificationThresholds>;
  /** Decompression-bomb guard: refuse images with more pixels (default 100 million). */
  maxPixels?: number;
}

/** The export's preprocessing as a PreprocessConfig (square inputs, bilinear: what finegrain exports). */
function preprocessOf(m: ExportMetadata, path: string): PreprocessConfig {
  const p = m.preprocessing;
  const [h, w] = p.inputSize;
  if (h !== w) throw new NotAvailableError(`${path}: input ${h}x${w} is not square; finegrain serves square inputs`);
  if (p.interpolation !== 'bilinear') throw new NotAvailableError(`${path}: '${p.interpolation}' resampling is not supported (finegrain exports bilinear)`);
  return { inputSize: h!, interpolation: 'bilinear', cropFraction: p.cropFraction ?? 1, mean: [...p.mean], std: [...p.std] };
}

function parseCalibration(text: string | null, path: string): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new NotAvailableError(`${path}: its finegrain.calibration metadata is not valid JSON`);
  }
}

export class OnnxModel implements ServedModel {
  readonly classes: readonly string[];
  private readonly byName: Map<string, number>;
  private disposed = false;
  private file: Promise<OnnxModelFile> | null = null;

  /** @internal Use `loadOnnxModel()`. */
  constructor(
    private readonly runtime: OnnxRuntimeSession,
    private readonly path: string,
    private readonly sha256: string,
    private readonly unknown: LogitVerdicts,
    readonly info: ServedModelInfo,
    private readonly maxPixels?: number,
  ) {
    this.classes = info.classes;
    this.byName = new Map(this.classes.map((c, i) => [c, i]));
  }

  private check(): void {
    if (this.disposed) throw new Error('classifier used after dispose()');
  }

  classIndex(label: string): number {
    return indexOfClass(label, this.byName, this.classes);
  }

  /** Decodes as the libtorch classifier does: the model's copy, and the photo for the quality checks. */
  async decode(input: ClassifierInput, options: { label?: string } = {}): Promise<DecodedImage> {
    this.check();
    return decodeServed(input, this.info.preprocess, this.info.qualityThresholds, { maxPixels: this.maxPixels, label: options.label });
  }

  async runBatch(items: readonly BatchItem[]): Promise<BatchResult[]> {
    this.check();
    if (!items.length) return [];
    if (items.some((it) => it.attentionClass !== undefined)) throw new NotAvailableError('attention maps are not available with the ONNX runtime');
    const s = this.info.inputSize;
    const x = pixelsToInput(
      items.map((it) => it.image),
      this.info.preprocess,
    );
    const { logits } = await this.runtime.run(x, [items.length, 3, s, s]);
    const k = this.classes.length;
    return items.map((it, i) => {
      const row = logits.data.subarray(i * k, (i + 1) * k);
      return rowAnswer(this.unknown.probabilities(row), it, this.unknown.verdict(row), this.classes, this.info.qualityThresholds).result;
    });
  }

  /** No maps on this runtime (requests asking for them are refused before they get here). */
  async renderAttention(): Promise<AttentionImages | undefined> {
    return undefined;
  }

  decideVerification(r: BatchResult): VerificationAnswer {
    return verificationAnswer(r, this.info.verificationThresholds);
  }

  async warmUp(batchSizes: readonly number[] = [1], rounds = 1): Promise<void> {
    const s = this.info.inputSize;
    const blank = { data: new Uint8Array(s * s * 3).fill(128), width: s, height: s };
    for (let r = 0; r < rounds; r++) for (const b of batchSizes) await this.runBatch(Array.from({ length: b }, () => ({ image: blank })));
  }

  /** The file itself, read on the first call (most servers are never asked for it). */
  async onnxModel(): Promise<OnnxModelFile> {
    this.check();
    if (existsSync(`${this.path}.data`))
      throw new NotAvailableError(`${basename(this.path)} keeps its weights in an external data file; it cannot be sent as one file`);
    this.file ??= readFile(this.path).then((b) => ({ bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength), sha256: this.sha256 }));
    this.file.catch(() => (this.file = null)); // a failed read is retried on the next request
    return this.file;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.runtime.close();
  }
}

/**
 * Opens an exported model for serving; fails with the reason when the file is not a
 * finegrain export (missing metadata, no logits/embedding outputs).
 *
 * @example
 *   const clf = await loadOnnxModel('cars.onnx');
 */
export async function loadOnnxModel(path: string, options: OnnxModelOptions = {}): Promise<OnnxModel> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  const runtime = await OnnxRuntimeSession.open(path, { intraOpThreads: options.intraOpThreads });
  try {
    const m = runtime.metadata;
    const preprocess = preprocessOf(m, path);
    const unknown = logitVerdicts(parseCalibration(m.calibration, path));
    const info: ServedModelInfo = {
      runtime: 'onnx',
      name: basename(path).replace(/\.onnx$/, ''),
      architectures: [m.model],
      checkpoints: [{ path, sha256, weight: 1 }],
      classes: m.classes,
      inputSize: preprocess.inputSize,
      preprocess,
      device: 'cpu',
      // One name per concept: finegrain calls full precision 'float32' everywhere else.
      precision: !m.precision || m.precision === 'fp32' ? 'float32' : m.precision,
      channelsLast: false,
      ensemble: 'none',
      attentionMethod: null,
      calibration: {
        calibrated: unknown.calibrated,
        method: unknown.method,
        temperature: unknown.temperature,
        thresholds: { [unknown.method]: unknown.threshold },
        ...(unknown.note ? { note: unknown.note } : {}),
        ...(m.calibration === null ? { note: 'the ONNX file carries no calibration: uncalibrated MSP default' } : {}),
      },
      qualityThresholds: options.quality ?? DEFAULT_QUALITY_THRESHOLDS,
      verificationThresholds: { ...DEFAULT_VERIFICATION_THRESHOLDS, ...options.verification },
      // Hierarchy thresholds are fitted for a checkpoint's bytes; an ONNX file carries none yet.
      hierarchy: null,
    };
    return new OnnxModel(runtime, path, sha256, unknown, info, options.maxPixels);
  } catch (e) {
    await runtime.close();
    throw e;
  }
}
