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

export class FusedActivationPass extends Module {
  declare readonly act: Module;
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
