/**
 * torchvision's initialisation for MobileNetV2/V3: Kaiming-normal (fan-out) convolutions
 * with zero biases, BatchNorm at 1 and 0, N(0, 0.01) linear weights with zero biases.
 *
 * @example
 *   initMobile(model);
 */
import type { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { kaimingNormal_, normal_, zeros_ } from '../../nn/init.js';

export function initMobile(model: Module): void {
  for (const m of model.modules()) {
    if (m instanceof Conv2d) {
      kaimingNormal_(m.weight, { mode: 'fanOut' });
      if (m.bias) zeros_(m.bias);
    } else if (m instanceof Linear) {
      normal_(m.weight, 0, 0.01);
      if (m.bias) zeros_(m.bias);
    }
  }
}
