/**
 * The `best` preset's search: candidate learning rates (the recipe's × ½, × 1, × 2, head rate
 * alike) raced on the validation split by successive halving (Jamieson & Talwalkar 2016):
 * every candidate trains one epoch of a short schedule at the base size, the better half
 * finishes the schedule, and the best validation accuracy wins. The learning rate is the
 * one recipe value that must suit data the developers never saw — too high and a pretrained
 * network forgets, too low and a short budget ends before it has learned —, so it is what
 * the race spends its time on. Each candidate is an ordinary run under `<run>/race/`.
 *
 * @example
 *   const { lr, headLr, rows } = await raceLearningRates(config, runDir, 3, log);
 */
import { join } from 'node:path';
import type { TrainConfig } from '../config.js';
import type { TrainResult } from '../trainer.js';

export interface RaceRow {
  lr: number;
  headLr: number | undefined;
  /** Epochs trained before the candidate left the race (or finished it). */
  epochs: number;
  /** Best validation top-1 (0..1). */
  valAccuracy: number;
  /** Whether it won. */
  winner: boolean;
}

export interface RaceResult {
  lr: number;
  headLr: number | undefined;
  rows: RaceRow[];
  seconds: number;
}

/** The factors candidates scale the recipe's learning rates by. */
export const RACE_FACTORS = [0.5, 1, 2] as const;

type Train = (input: TrainConfig, options: { resume?: string; stopAfterEpochs?: number; log?: (l: string) => void }) => Promise<TrainResult>;

/**
 * Races the candidates over `epochs` epochs each (the survivors; the others stop after one).
 * `train` is the trainer itself (passed in: race.ts sits below trainer.ts).
 */
export async function raceLearningRates(
  config: TrainConfig,
  runDir: string,
  epochs: number,
  log: (l: string) => void,
  train: Train,
  allowanceSeconds = Infinity,
): Promise<RaceResult> {
  const started = performance.now();
  const candidates = RACE_FACTORS.map((f) => ({ lr: config.lr * f, headLr: config.headLr === undefined ? undefined : config.headLr * f }));
  const base: TrainConfig = {
    ...config,
    epochs,
    finalImageSize: undefined,
    finalEpochs: 0,
    budget: undefined,
    preset: undefined,
    out: join(runDir, 'race'),
    quiet: true,
  };
  const quiet = () => {};
  const rows: RaceRow[] = [];
  const alive: { row: RaceRow; dir: string }[] = [];
  for (const c of candidates) {
    const name = `lr-${c.lr.toPrecision(3)}`;
    const r = await train({ ...base, ...c, name }, { stopAfterEpochs: 1, log: quiet });
    const row: RaceRow = { ...c, epochs: 1, valAccuracy: r.bestValAccuracy, winner: false };
    rows.push(row);
    alive.push({ row, dir: r.runDir });
    log(`race: lr ${c.lr.toPrecision(3)} after 1 epoch: ${(100 * r.bestValAccuracy).toFixed(1)} % on validation`);
  }
  // Successive halving: the better half (ties: the lower rate, the gentler on pretrained weights) goes on.
  alive.sort((a, b) => b.row.valAccuracy - a.row.valAccuracy || a.row.lr - b.row.lr);
  // The second round only when the first left time for it (it took a third of the time per candidate).
  const firstRound = (performance.now() - started) / 1000;
  const finalists = Math.ceil(alive.length / 2);
  const secondRound = (firstRound / alive.length) * finalists * (epochs - 1);
  const goOn = epochs > 1 && firstRound + secondRound <= allowanceSeconds;
  if (epochs > 1 && !goOn)
    log(`race: no second round (${firstRound.toFixed(0)} s so far, ~${secondRound.toFixed(0)} s more would pass the race's ${allowanceSeconds.toFixed(0)} s)`);
  const survivors = goOn ? alive.slice(0, finalists) : alive.slice(0, 1);
  if (goOn) {
    for (const s of survivors) {
      const r = await train({} as TrainConfig, { resume: s.dir, log: quiet });
      Object.assign(s.row, { epochs, valAccuracy: r.bestValAccuracy });
      log(`race: lr ${s.row.lr.toPrecision(3)} after ${epochs} epochs: ${(100 * r.bestValAccuracy).toFixed(1)} % on validation`);
    }
  }
  survivors.sort((a, b) => b.row.valAccuracy - a.row.valAccuracy || a.row.lr - b.row.lr);
  const win = survivors[0]!.row;
  win.winner = true;
  return { lr: win.lr, headLr: win.headLr, rows, seconds: (performance.now() - started) / 1000 };
}
