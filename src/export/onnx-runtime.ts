/**
 * ONNX Runtime for Node, loaded on first use. It is an optional dependency: its own install
 * step fetches GPU binaries from another host, which fails where only the npm registry is
 * reachable, and npm then installs finegrain without it. Everything but `serve --runtime onnx`
 * and int8 calibration works without it; those say how to get it.
 *
 * @example
 *   const ort = await onnxRuntime();
 *   const session = await ort.InferenceSession.create(bytes);
 */
import type * as Ort from 'onnxruntime-node';
import { UsageError } from '../usage-error.js';

let loaded: Promise<typeof Ort> | undefined;

/** The onnxruntime-node module; a UsageError saying how to install it when it is absent. */
export function onnxRuntime(): Promise<typeof Ort> {
  loaded ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: typeof Ort }).default ?? m) as typeof Ort,
    (e: unknown) => {
      loaded = undefined;
      throw new UsageError(
        `ONNX Runtime is not installed (${(e as Error).message.split('\n')[0]}): npm install onnxruntime-node; where only the npm registry is reachable, set ONNXRUNTIME_NODE_INSTALL=skip for that install (its CPU runtime ships in the package)`,
      );
    },
  );
  return loaded;
}
