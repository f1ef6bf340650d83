/**
 * NASNet-A's cells with timm's names and wiring. Each cell combines its two inputs — the
 * previous cell's output `x` (the "right" input after `conv_1x1`) and the one before `xPrev`
 * (the "left" input) — in five pairwise sums (`comb_iter_0…4`) and concatenates the results:
 *
 * - `CellStem0` / `CellStem1`: the stride-2 stem cells after `conv0`;
 * - `FirstCell`: a normal cell whose left input comes from a factorised reduction of `xPrev`
 *   (its grid is twice as large, after a reduction cell);
 * - `NormalCell`: keeps the grid;
 * - `ReductionCell`: halves the grid (timm's ReductionCell0 and ReductionCell1 are identical).
 *
 * @example
 *   const cell = new NormalCell(1008, 168, 1008, 168);
 *   const y = cell.forwardPair(x, xPrev);   // 6 × 168 channels
 */
import { scope } from '../../tensor/scope.js';
import { cat } from '../../tensor/join.js';
import type { Tensor } from '../../tensor/tensor.js';
import { relu } from '../../nn/functional/activation.js';
import { Module } from '../../nn/module.js';
import { BatchNorm2d } from '../../nn/layers/batch-norm.js';
import { ActConvBn, BranchSeparables, reductionPaths } from './branches.js';
import { samePool2d } from './same-padding.js';

/** A cell: two inputs, one output. */
export abstract class Cell extends Module {
  /** The cell's output from the previous cell's output `x` and the one before, `xPrev`. */
  abstract forwardPair(x: Tensor, xPrev: Tensor): Tensor;

  forward(_x: Tensor): Tensor {
    throw new Error(`${this.constructor.name} takes two inputs: call forwardPair(x, xPrev)`);
  }

  /** The submodule registered as `name` (cells register theirs under timm's names). */
  protected m(name: string): Module {
    return this.getSubmodule(name);
  }

  /** `comb_iter_i_left(a) + comb_iter_i_right(b)`. */
  protected comb(i: number, a: Tensor, b: Tensor): Tensor {
    return this.m(`comb_iter_${i}_left`)
      .forward(a)
      .add(this.m(`comb_iter_${i}_right`).forward(b));
  }

  /** ReLU, the two reduction paths, concatenation and `final_path_bn`. */
  protected reducePrev(x: Tensor): Tensor {
    const h = relu(x);
    return this.m('final_path_bn').forward(cat([this.m('path_1').forward(h), this.m('path_2').forward(h)], 1));
  }

  /** Registers the factorised reduction of `xPrev` (`path_1`, `path_2`, `final_path_bn`) that `reducePrev` runs. */
  protected addReduction(inChannels: number, outChannels: number): void {
    const [p1, p2] = reductionPaths(inChannels, outChannels);
    this.registerModule('path_1', p1);
    this.registerModule('path_2', p2);
    this.registerModule('final_path_bn', new BatchNorm2d(outChannels, { eps: 1e-3 }));
  }

  /** The stride-2 combinations shared by the stem and reduction cells, given the two adapted inputs. */
  protected reduceCombine(left: Tensor, right: Tensor): Tensor {
    const c0 = this.comb(0, left, right);
    const c1 = this.comb(1, left, right);
    const c2 = this.comb(2, left, right);
    const c3 = this.m('comb_iter_3_right').forward(c0).add(c1);
    const c4 = this.m('comb_iter_4_left').forward(c0).add(this.m('comb_iter_4_right').forward(left));
    return cat([c1, c2, c3, c4], 1);
  }

  /** The stride-2 operations (stem and reduction cells) for left/right op inputs of `leftIn`/`rightIn` channels. */
  protected addReductionOps(leftIn: number, rightIn: number, out: number, stemCell = false): void {
    this.registerModule('comb_iter_0_left', new BranchSeparables(leftIn, out, 5, 2));
    this.registerModule('comb_iter_0_right', new BranchSeparables(rightIn, out, 7, 2, { stemCell }));
    this.registerModule('comb_iter_1_left', samePool2d('max', 3, 2));
    this.registerModule('comb_iter_1_right', new BranchSeparables(rightIn, out, 7, 2, { stemCell }));
    this.registerModule('comb_iter_2_left', samePool2d('avg', 3, 2));
    this.registerModule('comb_iter_2_right', new BranchSeparables(rightIn, out, 5, 2, { stemCell }));
    this.registerModule('comb_iter_3_right', samePool2d('avg', 3, 1));
    this.registerModule('comb_iter_4_left', new BranchSeparables(out, out, 3, 1));
    this.registerModule('comb_iter_4_right', samePool2d('max', 3, 2));
  }

  /** The normal cell's operations, for adapted inputs of `right` and `left` channels. */
  protected addNormalOps(right: number, left: number): void {
    this.registerModule('comb_iter_0_left', new BranchSeparables(right, right, 5, 1));
    this.registerModule('comb_iter_0_right', new BranchSeparables(left, left, 3, 1));
    this.registerModule('comb_iter_1_left', new BranchSeparables(left, left, 5, 1));
    this.registerModule('comb_iter_1_right', new BranchSeparables(left, left, 3, 1));
    this.registerModule('comb_iter_2_left', samePool2d('avg', 3, 1));
    this.registerModule('comb_iter_3_left', samePool2d('avg', 3, 1));
    this.registerModule('comb_iter_3_right', samePool2d('avg', 3, 1));
    this.registerModule('comb_iter_4_left', new BranchSeparables(right, right, 3, 1));
  }

  /** The normal cell's combinations: [left, c0 … c4]. */
  protected normalCombine(left: Tensor, right: Tensor): Tensor {
    const c0 = this.comb(0, right, left);
    const c1 = this.comb(1, left, left);
    const c2 = this.m('comb_iter_2_left').forward(right).add(left);
    const c3 = this.comb(3, left, left);
    const c4 = this.m('comb_iter_4_left').forward(right).add(right);
    return cat([left, c0, c1, c2, c3, c4], 1);
  }
}

/** First stem cell: `stemSize` channels → 4 × `channels`, stride 2. Takes one input. */
export class CellStem0 extends Cell {
  constructor(stemSize: number, channels: number) {
    super();
    this.registerModule('conv_1x1', new ActConvBn(stemSize, channels));
    this.addReductionOps(channels, stemSize, channels, true);
  }

  forwardPair(x: Tensor): Tensor {
    return scope(() => this.reduceCombine(this.m('conv_1x1').forward(x), x));
  }

  override forward(x: Tensor): Tensor {
    return this.forwardPair(x);
  }
}

/** Second stem cell: x = CellStem0's output, xPrev = conv0's (reduced to match). */
export class CellStem1 extends Cell {
  constructor(stemSize: number, channels: number) {
    super();
    this.registerModule('conv_1x1', new ActConvBn(2 * channels, channels));
    this.addReduction(stemSize, channels);
    this.addReductionOps(channels, channels, channels);
  }

  forwardPair(x: Tensor, xPrev: Tensor): Tensor {
    return scope(() => this.reduceCombine(this.m('conv_1x1').forward(x), this.reducePrev(xPrev)));
  }
}

/** A normal cell after a reduction: xPrev has twice the grid and is reduced to match. */
export class FirstCell extends Cell {
  constructor(inLeft: number, outLeft: number, inRight: number, outRight: number) {
    super();
    this.registerModule('conv_1x1', new ActConvBn(inRight, outRight));
    this.addReduction(inLeft, 2 * outLeft);
    this.addNormalOps(outRight, outRight);
  }

  forwardPair(x: Tensor, xPrev: Tensor): Tensor {
    return scope(() => this.normalCombine(this.reducePrev(xPrev), this.m('conv_1x1').forward(x)));
  }
}

/** A normal cell: both inputs on the same grid. */
export class NormalCell extends Cell {
  constructor(inLeft: number, outLeft: number, inRight: number, outRight: number) {
    super();
    this.registerModule('conv_prev_1x1', new ActConvBn(inLeft, outLeft));
    this.registerModule('conv_1x1', new ActConvBn(inRight, outRight));
    this.addNormalOps(outRight, outLeft);
  }

  forwardPair(x: Tensor, xPrev: Tensor): Tensor {
    return scope(() => this.normalCombine(this.m('conv_prev_1x1').forward(xPrev), this.m('conv_1x1').forward(x)));
  }
}

/** A reduction cell: halves the grid, 4 × `outRight` channels. */
export class ReductionCell extends Cell {
  constructor(inLeft: number, outLeft: number, inRight: number, outRight: number) {
    super();
    this.registerModule('conv_prev_1x1', new ActConvBn(inLeft, outLeft));
    this.registerModule('conv_1x1', new ActConvBn(inRight, outRight));
    this.addReductionOps(outRight, outRight, outRight);
  }

  forwardPair(x: Tensor, xPrev: Tensor): Tensor {
    // The right input (x) feeds the left ops here, the left input (xPrev) the right ones.
    return scope(() => this.reduceCombine(this.m('conv_1x1').forward(x), this.m('conv_prev_1x1').forward(xPrev)));
  }
}
