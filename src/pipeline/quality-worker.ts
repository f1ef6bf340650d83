/**
 * The worker behind quality-thread.ts: judges each photo it is sent with assessQuality and
 * answers with the report (or the error's message — a bad shape is the caller's RangeError).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assessQuality, type QualityThresholds, type RawImage } from '../open-world/quality.js';
import { paceGarbageCollection } from '../runtime/gc-pacing.js';

// Each photo's copy and scratch arrays are dead once it is measured: collected on a pace.
let pacer = paceGarbageCollection((workerData as { gcIntervalMs?: number } | null)?.gcIntervalMs ?? 0);

parentPort!.on('message', (m: { id: number; image: RawImage; thresholds: QualityThresholds } | { gcIntervalMs: number }) => {
  if ('gcIntervalMs' in m) {
    pacer.stop();
    pacer = paceGarbageCollection(m.gcIntervalMs);
    return;
  }
  pacer.noteWork();
  try {
    parentPort!.postMessage({ id: m.id, report: assessQuality(m.image, m.thresholds) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
