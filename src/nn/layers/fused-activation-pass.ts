/**
 * Stands in for an activation module that several layers share (resnet's blocks call one ReLU
 * after two of their convolutions) once some of its uses were fused into the convolution before
 * them (src/nn/plan-convolutions.ts): a tensor a marked plan produced, already activated and
 * unchanged since, passes through; anything else gets the original activation.
 *
 * @example
 *   model.setSubmodule('layer1.0.relu', new FusedActivationPass(block.relu, 'relu'));
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { alreadyActivated, type ConvPostOp } from './planned-conv2d.js';

/**
 * Stands in for an activation shared by several layers once some of its uses were fused into
 * the convolutions before them (`planConvolutions`): already activated outputs pass through,
 * anything else gets the activation.
 */
export class FusedActivationPass extends Module {
  /** The original activation, for inputs that were not activated already. */
  declare readonly act: Module;
  /** The fused activation whose outputs pass through. */
  readonly postOp: ConvPostOp;

  constructor(act: Module, postOp: ConvPostOp) {
    super();
    this.registerModule('act', act);
    this.postOp = postOp;
  }

  forward(x: Tensor): Tensor {
    return alreadyActivated(x, this.postOp) ? x : (this.act.forward(x) as Tensor);
  }
}
