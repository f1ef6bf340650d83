/**
 * The worker behind quality-thread.ts: judges each photo it is sent with assessQuality and
 * answers with the report (or the error's message — a bad shape is the caller's RangeError).
 */
import { parentPort } from 'node:worker_threads';
import { assessQuality, type QualityThresholds, type RawImage } from '../open-world/quality.js';

parentPort!.on('message', (m: { id: number; image: RawImage; thresholds: QualityThresholds }) => {
  try {
    parentPort!.postMessage({ id: m.id, report: assessQuality(m.image, m.thresholds) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
