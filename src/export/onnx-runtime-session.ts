/**
 * An exported model on ONNX Runtime (onnxruntime-node, CPU), for machines without libtorch:
 * opens the file, reads its finegrain metadata (classes, preprocessing, calibration) and runs
 * preprocessed float32 NCHW batches to logits and embeddings. The serving layer's
 * `--runtime onnx` builds on this.
 *
 * @example
 *   const clf = await OnnxRuntimeSession.open('birds.onnx');
 *   clf.metadata.preprocessing.inputSize;                     // [224, 224]
 *   const { logits, embedding } = await clf.run(batch, [8, 3, 224, 224]);
 *   clf.metadata.classes[argmax(logits.data.subarray(0, logits.dims[1]))];
 *   await clf.close();
 */
import type * as Ort from 'onnxruntime-node';
import { onnxRuntime } from './onnx-runtime.js';
import { parseExportMetadata, type ExportMetadata } from './metadata.js';
import { readOnnxMetadataProps } from './read-metadata.js';

/** A float32 tensor as plain data: elements in row-major order and dims. */
export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

export interface OnnxRuntimeSessionOptions {
  /** Threads ONNX Runtime uses inside one run (default: its own choice, the core count). */
  intraOpThreads?: number;
}

export class OnnxRuntimeSession {
  private constructor(
    private readonly session: Ort.InferenceSession,
    private readonly ort: typeof Ort,
    /** Classes, preprocessing, calibration, as the export wrote them. */
    readonly metadata: ExportMetadata,
    /** The file it was opened from. */
    readonly path: string,
  ) {}

  /** Opens an exported model; fails with the reason when the file is not a finegrain export. */
  static async open(path: string, options: OnnxRuntimeSessionOptions = {}): Promise<OnnxRuntimeSession> {
    const metadata = parseExportMetadata(readOnnxMetadataProps(path));
    const ort = await onnxRuntime();
    const session = await ort.InferenceSession.create(path, {
      graphOptimizationLevel: 'all',
      ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    });
    for (const name of ['logits', 'embedding']) {
      if (!session.outputNames.includes(name)) {
        await session.release();
        throw new Error(`${path}: the model has no '${name}' output (outputs: ${session.outputNames.join(', ')})`);
      }
    }
    return new OnnxRuntimeSession(session, ort, metadata, path);
  }

  /** The [channels, height, width] a batch must have. */
  get inputShape(): [number, number, number] {
    const [h, w] = this.metadata.preprocessing.inputSize;
    return [3, h, w];
  }

  /**
   * Runs a preprocessed batch (normalised RGB, float32, NCHW, `dims` [N, 3, H, W]) and
   * returns logits [N, classes] and embeddings [N, features].
   */
  async run(batch: Float32Array, dims: readonly number[]): Promise<{ logits: OutputTensor; embedding: OutputTensor }> {
    const [c, h, w] = this.inputShape;
    if (dims.length !== 4 || dims[1] !== c || dims[2] !== h || dims[3] !== w || dims[0]! < 1) {
      throw new RangeError(`expected a batch [N, ${c}, ${h}, ${w}], got [${dims.join(', ')}]`);
    }
    const n = dims[0]!;
    if (batch.length !== n * c * h * w) throw new RangeError(`batch holds ${batch.length} values, [${dims.join(', ')}] needs ${n * c * h * w}`);
    const out = await this.session.run({ input: new this.ort.Tensor('float32', batch, [...dims]) });
    const take = (name: string): OutputTensor => {
      const t = out[name]!;
      return { data: t.data as Float32Array, dims: [...t.dims] };
    };
    return { logits: take('logits'), embedding: take('embedding') };
  }

  /** Frees ONNX Runtime's session. */
  async close(): Promise<void> {
    await this.session.release();
  }
}
