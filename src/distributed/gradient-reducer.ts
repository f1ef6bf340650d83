/**
 * Bucketed gradient all-reduce overlapped with backward: libtorch's c10d::Reducer, the engine
 * of PyTorch's DistributedDataParallel, bound as is. It hooks each parameter's gradient
 * accumulator; as backward produces gradients, full buckets (25 MiB, the first 1 MiB, in
 * reverse parameter order) start their all-reduce on the process group's threads while
 * backward goes on; when backward ends, every parameter's `.grad` holds the mean over ranks.
 *
 * Call `prepare(outputs)` after each forward whose backward should synchronise. Skip it to
 * accumulate gradients locally (DDP's no_sync) and call it on the last micro-batch: the
 * reducer all-reduces the accumulated gradient.
 *
 * @example
 *   const reducer = new GradientReducer(group, model.parameters());
 *   await broadcastParameters(group, model);          // every rank starts from rank 0's weights
 *   const loss = lossOf(model.forward(x));
 *   reducer.backward(loss);                            // grads are averaged over ranks here
 *   optimizer.step();
 */
import { native } from '../native/binding.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ProcessGroup } from './process-group.js';

/** Options of `GradientReducer`, with DistributedDataParallel's defaults. */
export interface GradientReducerOptions {
  /** Bucket size in MiB (default 25, as DDP). */
  bucketCapMb?: number;
  /** The first bucket's size in MiB: small, so communication starts early (default 1). */
  firstBucketMb?: number;
  /**
   * Make each parameter's `.grad` a view into its bucket (DDP's gradient_as_bucket_view):
   * backward accumulates straight into the buffer that is all-reduced, saving a copy of every
   * gradient into the bucket and one back, and the memory of a second gradient copy. Zero
   * gradients in place then (`optimizer.zeroGrad(false)`): a dropped `.grad` comes back as a
   * fresh tensor that the reducer copies into the bucket again. Default false, as in PyTorch.
   */
  gradientAsBucketView?: boolean;
  /**
   * `'fp16'`: each bucket is cast to float16 (and divided by the world size) before its
   * all-reduce and cast back after — c10d's built-in FP16_COMPRESS hook, PyTorch's
   * `fp16_compress_hook`. Half the bytes on the wire and in Gloo's reduction, for float16's
   * precision in the averaged gradient (11 significant bits; a gradient element below ~6e-8 ×
   * world size flushes to zero, one above 65504 × world size becomes infinite). Worth it where the network is the bottleneck (several nodes
   * over Ethernet); `'none'` (the default) all-reduces float32, exactly.
   */
  gradientCompression?: GradientCompression;
}

/** How gradients travel in the all-reduce: exactly (`'none'`), or cast to float16. */
export type GradientCompression = 'none' | 'fp16';
/** Every `GradientCompression`, for validating a configuration value. */
export const GRADIENT_COMPRESSIONS: readonly GradientCompression[] = ['none', 'fp16'];

/**
 * Averages gradients over the ranks of a process group during backward, as PyTorch's
 * DistributedDataParallel does (bucketed all-reduce overlapped with the backward pass). Build one
 * per model after `initProcessGroup`, and `dispose()` it (or `using`) to remove its hooks.
 *
 * @example
 *   using reducer = new GradientReducer(group, model.parameters(), { gradientCompression: 'fp16' });
 */
export class GradientReducer {
  #native: object | null;
  /** Whether `.grad` tensors are views into the buckets (see the option). */
  readonly gradientAsBucketView: boolean;
  /** How gradients travel in the all-reduce (see the option). */
  readonly gradientCompression: GradientCompression;

  constructor(
    /** The process group the gradients are averaged over. */
    readonly group: ProcessGroup,
    parameters: Tensor[],
    options: GradientReducerOptions = {},
  ) {
    const trainable = parameters.filter((p) => p.requiresGrad);
    if (trainable.length === 0) throw new Error('GradientReducer: no trainable parameters');
    const compression = options.gradientCompression ?? 'none';
    if (!GRADIENT_COMPRESSIONS.includes(compression))
      throw new Error(`GradientReducer: gradientCompression must be one of ${GRADIENT_COMPRESSIONS.join(', ')}, got ${JSON.stringify(compression)}`);
    const mib = 1 << 20;
    this.#native = native.distReducer(
      group.nativeHandle,
      trainable.map((p) => p.handle),
      Math.round((options.bucketCapMb ?? 25) * mib),
      Math.round((options.firstBucketMb ?? 1) * mib),
      options.gradientAsBucketView ?? false,
      compression,
    );
    this.gradientAsBucketView = options.gradientAsBucketView ?? false;
    this.gradientCompression = compression;
  }

  #handle(): object {
    if (!this.#native) throw new Error('GradientReducer: disposed');
    return this.#native;
  }

  /** Arms the hooks for the next backward; `outputs` are the forward's outputs (the loss). */
  prepare(outputs: Tensor[]): void {
    native.distReducerPrepare(
      this.#handle(),
      outputs.map((t) => t.handle),
    );
  }

  /**
   * `prepare([output])` then `output.backward()`, with a failure of the all-reduce (a peer
   * died, the timeout passed) rethrown as an Error naming this rank.
   */
  backward(output: Tensor): void {
    this.prepare([output]);
    try {
      output.backward();
    } catch (e) {
      const g = this.group;
      throw new Error(
        `rank ${g.rank} of ${g.worldSize} (${g.backend}): backward with the gradient all-reduce failed: ${(e as Error).message} (a peer process may have died, or the all-reduce did not complete within ${g.timeoutMs} ms)`,
        { cause: e },
      );
    }
  }

  /** Elements per bucket, in the order buckets are reduced. */
  bucketSizes(): number[] {
    return native.distReducerBucketSizes(this.#handle());
  }

  /** Removes the hooks. Idempotent. */
  dispose(): void {
    if (!this.#native) return;
    native.distReducerDispose(this.#native);
    this.#native = null;
  }

  /** `dispose()`, for `using reducer = ...`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
