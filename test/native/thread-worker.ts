// The body of the worker threads in threads.test.ts: tensor work on a thread of its own.
// It reports its live-tensor counts so the test can tell whose tensors each thread sees.
import { parentPort, workerData } from 'node:worker_threads';
import { native } from '../../src/native/binding.js';
import { randn, scope } from '../../src/index.js';

const { rounds, hold } = workerData as { rounds: number; hold: number };

const before = native.liveTensors();
// Tensors this thread keeps until it ends (never disposed: its environment's teardown frees them).
const held = Array.from({ length: hold }, () => randn([8, 8]));
const holding = native.liveTensors();
let checksum = 0;
for (let i = 0; i < rounds; i++) {
  checksum += scope(() => {
    const a = randn([32, 32]);
    const b = randn([32, 32]);
    const c = a.matmul(b);
    a.dispose(); // deferred frees, drained by this thread's next call
    return c.abs().sum().item();
  });
}
parentPort!.postMessage({ before, holding, after: native.liveTensors(), checksum: Number.isFinite(checksum), held: held.length });
