/**
 * finegrain's side of bench/weights, one load per process so each peak is its own: reads a
 * whole state dict (safetensors or .pth) and prints its time and the peak resident memory the
 * load added (VmHWM after, minus VmRSS before; the addon and libtorch are loaded first).
 *
 *   node build/bench/weights/load-worker.js FILE           ->  {"seconds": s, "peakBytes": b, "bytes": b}
 *   node build/bench/weights/load-worker.js FILE MODEL     the same for createModel(MODEL, { pretrained: FILE }):
 *                                                          the model's own weights plus the loader's transient
 */
import { readFileSync } from 'node:fs';
import { loadSafetensors, loadTorchCheckpoint, weightsFormat, zeros, type Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';

function status(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const [path, model] = [process.argv[2]!, process.argv[3]];
zeros([1]).dispose(); // libtorch initialised before the baseline
const before = status('VmRSS');
const t0 = performance.now();
let tensors: Tensor[];
if (model)
  tensors = createModel(model, { pretrained: path })
    .stateEntries()
    .map(([, t]) => t);
else tensors = Object.values(weightsFormat(path) === 'torch' ? loadTorchCheckpoint(path).tensors : loadSafetensors(path).tensors);
const seconds = (performance.now() - t0) / 1000;
let bytes = 0;
for (const t of tensors) bytes += t.byteSize;
console.log(JSON.stringify({ seconds, peakBytes: status('VmHWM') - before, bytes }));
