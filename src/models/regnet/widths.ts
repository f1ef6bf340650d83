/**
 * RegNet's design-space parametrisation (Radosavovic et al., "Designing Network Design
 * Spaces", CVPR 2020): block widths follow u_j = w0 + wa·j, quantised in log space with base
 * wm to multiples of 8; equal widths form a stage. torchvision and timm then make bottleneck
 * and group widths compatible in slightly different ways, so each has its own function.
 *
 * Both references compute the widths in float32 tensors, and a different rounding would
 * change layer shapes (checkpoints would not load), so the arithmetic below reproduces
 * float32 steps with `Math.fround` and torch's round-half-to-even.
 *
 * @example
 *   torchvisionRegNetStages({ depth: 18, w0: 200, wa: 106.23, wm: 2.48, groupWidth: 112 });
 *   // [{ width: 224, depth: 2, groupWidth: 112 }, { width: 448, depth: 4, … }, { width: 1232, depth: 11, … }, { width: 3024, depth: 1, … }]
 */
import { makeDivisible, roundHalfEven } from '../../nn/divisible.js';

/** The four numbers of a RegNet (plus group width and bottleneck ratio). */
export interface RegNetParams {
  /** Blocks in the whole network (the stages share them out). */
  depth: number;
  /** Width of the first block, in channels. */
  w0: number;
  /** Slope of the linear width rule u_j = w0 + wa·j. */
  wa: number;
  /** Log-space quantisation base of the widths. */
  wm: number;
  /** Channels per group of the 3x3 convolutions. */
  groupWidth: number;
  /** Bottleneck ratio (default 1). */
  bottleneckRatio?: number;
  /** Squeeze-excite ratio of the Y models (relative to the block's input width). */
  seRatio?: number;
}

/** One stage of a RegNet as the width rule yields it. */
export interface RegNetStage {
  /** Output width of the stage's blocks. */
  width: number;
  /** Blocks in the stage. */
  depth: number;
  /** Channels per group of the stage's 3x3 convolutions (made compatible with its width). */
  groupWidth: number;
}

const f32 = Math.fround;

/**
 * Per-block widths: round(w0 · wm^round(log(u_j / w0) / log wm) / 8) · 8, in float32.
 * @example blockWidths({ depth: 13, w0: 24, wa: 36.44, wm: 2.49, groupWidth: 8 }); // [24, 56, 152, 152, …]
 */
export function blockWidths(p: RegNetParams): number[] {
  if (p.wa < 0 || p.w0 <= 0 || p.wm <= 1 || p.w0 % 8) throw new RangeError(`invalid RegNet parameters ${JSON.stringify(p)}`);
  const logWm = f32(Math.log(p.wm));
  const wm = f32(p.wm);
  const widths: number[] = [];
  for (let j = 0; j < p.depth; j++) {
    const u = f32(f32(j * f32(p.wa)) + p.w0);
    const exponent = roundHalfEven(f32(f32(Math.log(f32(u / p.w0))) / logWm));
    const w = f32(f32(p.w0 * f32(Math.pow(wm, exponent))) / 8);
    widths.push(roundHalfEven(w) * 8);
  }
  return widths;
}

/** Consecutive equal widths as stages. */
function stagesOf(widths: number[], groupWidth: number): RegNetStage[] {
  const stages: RegNetStage[] = [];
  for (const w of widths) {
    const last = stages[stages.length - 1];
    if (last && last.width === w) last.depth++;
    else stages.push({ width: w, depth: 1, groupWidth });
  }
  return stages;
}

/**
 * torchvision's `BlockParams.from_init_params`: bottleneck widths rounded to a multiple of
 * the group width with `_make_divisible`.
 *
 * @example
 *   torchvisionRegNetStages({ depth: 22, w0: 24, wa: 24.48, wm: 2.54, groupWidth: 16 }).map((s) => s.width); // [32, 64, 160, 400]
 */
export function torchvisionRegNetStages(p: RegNetParams): RegNetStage[] {
  const b = p.bottleneckRatio ?? 1;
  return stagesOf(blockWidths(p), p.groupWidth).map((s) => {
    const wBot = Math.trunc(s.width * b);
    const g = Math.min(s.groupWidth, wBot);
    return { ...s, width: Math.trunc(makeDivisible(wBot, g) / b), groupWidth: g };
  });
}

/**
 * timm's `RegNet._get_stage_args`: bottleneck widths rounded to the nearest multiple of the group size.
 * @example timmRegNetStages({ depth: 22, w0: 24, wa: 24.48, wm: 2.54, groupWidth: 16 }).map((s) => s.width); // [32, 64, 160, 384]
 */
export function timmRegNetStages(p: RegNetParams): RegNetStage[] {
  const b = p.bottleneckRatio ?? 1;
  return stagesOf(blockWidths(p), p.groupWidth).map((s) => {
    const wBot = Math.trunc(s.width * b);
    const g = Math.min(s.groupWidth, wBot);
    return { ...s, width: Math.trunc((roundHalfEven(wBot / g) * g) / b), groupWidth: g };
  });
}
