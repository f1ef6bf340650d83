/**
 * One comparison of bench/suggest: for each seed, a stratified starting share of the candidate
 * photos is labelled, the starting probe suggests (its temperature cross-fitted on those labels),
 * every arm adds `count` labels, and each arm's probe is scored on the evaluation photos. The
 * candidates and the evaluation photos are the training and test splits for the claim, or two
 * parts of the training split when choosing a default (`--tune`: the test split is not scored).
 */
import { rankSuggestions, type RankOptions } from '../../src/active-learning/rank-suggestions.js';
import { Rng } from '../../src/data/random.js';
import { softmax } from '../../src/nn/functional/activation.js';
import { fromTypedArray, tensor } from '../../src/tensor/index.js';
import { scope } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { accuracy, crossFittedTemperature, probeLogits, trainProbe } from './probe.js';

/** An arm: random (no options) or suggest's ranking with these options. */
export interface Arm {
  name: string;
  options?: Omit<RankOptions, 'count'>;
  /** Whether the labelled photos are the greedy's first centres (default true, as `suggest --labeled`). */
  labelledCentres?: boolean;
}

/** The photos one comparison works on. */
export interface Split {
  /** z-scored features [N, D] and raw embeddings [N, D] of every photo the rows below index. */
  x: Tensor;
  embeddings: Tensor;
  labels: Int32Array;
  numClasses: number;
  /** Photos that can be labelled (the starting share and the unlabelled pool). */
  candidates: number[];
  /** Features, labels and rows the probes are scored on. */
  evalX: Tensor;
  evalLabels: Int32Array;
  evalRows: number[];
}

/** Per arm, one top-1 per seed; the starting top-1 and temperature per seed. */
export interface Outcome {
  top1: Record<string, number[]>;
  start: number[];
  startLabels: number[];
  temperatures: number[];
  /** Per ranked arm and seed: photos the picks stand for as near-duplicates, and those left out as near-duplicates of labelled ones. */
  duplicates: Record<string, number[]>;
}

/** `share` of each class's candidates (at least one), drawn by `rng`. */
export function stratified(rows: readonly number[], labels: Int32Array, numClasses: number, share: number, rng: Rng): number[] {
  const out: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const mine = rows.filter((r) => labels[r] === c);
    const take = Math.max(1, Math.round(share * mine.length));
    out.push(
      ...rng
        .permutation(mine.length)
        .slice(0, take)
        .map((i) => mine[i]!),
    );
  }
  return out.sort((a, b) => a - b);
}

export function compare(s: Split, arms: readonly Arm[], o: { seeds: number; count: number; startShare: number; log: (line: string) => void }): Outcome {
  const out: Outcome = { top1: Object.fromEntries(arms.map((a) => [a.name, []])), start: [], startLabels: [], temperatures: [], duplicates: {} };
  const C = s.numClasses;
  for (let seed = 1; seed <= o.seeds; seed++) {
    const rng = new Rng(seed, 'bench-suggest');
    const labelled = stratified(s.candidates, s.labels, C, o.startShare, rng.fork('start'));
    const inL = new Set(labelled);
    const unlabelled = s.candidates.filter((r) => !inL.has(r));
    const p0 = trainProbe(s.x, s.labels, labelled, C, seed);
    out.start.push(accuracy(p0, s.evalX, s.evalLabels, s.evalRows, C));
    out.startLabels.push(labelled.length);
    const T = crossFittedTemperature(s.x, s.labels, labelled, C, seed);
    out.temperatures.push(T);
    const probabilities = scope(() => {
      const logits = fromTypedArray(probeLogits(p0, s.x, unlabelled), [unlabelled.length, C]);
      return softmax(logits.div(T), 1).contiguous().toTypedArray() as Float32Array;
    });
    p0.dispose();
    const pick = (rows: number[]) => scope(() => s.embeddings.indexSelect(0, tensor(rows, { dtype: 'int64' })).keep());
    const embeddings = pick(unlabelled);
    const labeledEmbeddings = pick(labelled);
    const line: string[] = [];
    for (const arm of arms) {
      let added: number[];
      if (!arm.options) {
        added = rng
          .fork('random')
          .permutation(unlabelled.length)
          .slice(0, o.count)
          .map((i) => unlabelled[i]!);
      } else {
        const centres = arm.labelledCentres === false ? undefined : labeledEmbeddings;
        const r = rankSuggestions({ probabilities, numClasses: C, embeddings, labeledEmbeddings: centres }, { count: o.count, ...arm.options });
        added = r.rows.map((x) => unlabelled[x.row]!);
        (out.duplicates[arm.name] ??= []).push(r.rows.reduce((n, x) => n + x.duplicates.length, 0) + r.nearLabeled.length);
      }
      const p = trainProbe(s.x, s.labels, [...labelled, ...added], C, seed);
      const acc = accuracy(p, s.evalX, s.evalLabels, s.evalRows, C);
      p.dispose();
      out.top1[arm.name]!.push(acc);
      line.push(`${arm.name} ${(100 * acc).toFixed(1)}`);
    }
    embeddings.dispose();
    labeledEmbeddings.dispose();
    o.log(`seed ${seed}: ${labelled.length} labelled to start (${(100 * out.start.at(-1)!).toFixed(1)} %, T ${T.toFixed(2)}); +${o.count}: ${line.join(', ')}`);
  }
  return out;
}
