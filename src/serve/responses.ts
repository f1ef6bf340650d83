/**
 * The library's answers (camelCase) as the HTTP API's (snake_case), one function per shape,
 * so the same concept has one name in each world (isUnknown ↔ is_unknown).
 */
import type { UnknownVerdict } from '../open-world/calibration.js';
import type { QualityReport } from '../open-world/quality.js';
import type { AttentionImages } from '../pipeline/served-model.js';
import type { HierarchicalAnswer } from '../hierarchy/scores.js';

export const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A flat or nested object with snake_case keys. */
export function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), snakeKeys(x)]));
  return v;
}

export function unknownJson(u: UnknownVerdict) {
  return { is_unknown: u.isUnknown, score: u.score, threshold: u.threshold, method: u.method, calibrated: u.calibrated };
}

export function qualityJson(q: QualityReport) {
  return { ok: q.ok, issues: q.issues, measures: snakeKeys(q.measures) as Record<string, number> };
}

export function hierarchyJson(h: HierarchicalAnswer) {
  return { path: h.path.map((p) => ({ level: p.level, name: p.name, score: p.score, confident: p.confident })), deepest_confident: h.deepestConfident };
}

export function attentionJson(a: AttentionImages | undefined) {
  if (!a) return {};
  return { attention: a.image, attention_detail: { label: a.label, method: a.method, class_agnostic: a.classAgnostic } };
}
