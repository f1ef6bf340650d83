/**
 * Activation layers (torch.nn.ReLU, ReLU6, SiLU, GELU, Hardswish, Hardsigmoid, Sigmoid,
 * Tanh) and `createActivation`, which builds one from its name (as model configurations
 * and attention modules name them). `inplace` overwrites the input, as PyTorch's
 * `inplace=True`: it saves one activation-sized buffer per layer while training.
 *
 * @example
 *   const act = createActivation('silu');
 *   const y = new ReLU({ inplace: true }).forward(bn.forward(x));
 */
import type { Tensor } from '../../tensor/tensor.js';
import { gelu, hardsigmoid, hardswish, relu, relu6, sigmoid, silu, tanh } from '../functional/activation.js';
import { Module } from '../module.js';

/** Options of the activation layers that can work in place. */
export interface ActivationOptions {
  /** Overwrite the input and return it (default false). */
  inplace?: boolean;
}

/** max(x, 0). */
export class ReLU extends Module {
  /** Whether the layer overwrites its input (saves memory while training; the input must not be needed again). */
  readonly inplace: boolean;
  constructor(options: ActivationOptions = {}) {
    super();
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return relu(x, { inplace: this.inplace });
  }
}

/** min(max(x, 0), 6) (MobileNetV2). */
export class ReLU6 extends Module {
  /** Whether the layer overwrites its input (saves memory while training; the input must not be needed again). */
  readonly inplace: boolean;
  constructor(options: ActivationOptions = {}) {
    super();
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return relu6(x, { inplace: this.inplace });
  }
}

/** x·sigmoid(x) (EfficientNet's swish). */
export class SiLU extends Module {
  /** Whether the layer overwrites its input (saves memory while training; the input must not be needed again). */
  readonly inplace: boolean;
  constructor(options: ActivationOptions = {}) {
    super();
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return silu(x, { inplace: this.inplace });
  }
}

/** x·relu6(x + 3) / 6 (MobileNetV3). */
export class Hardswish extends Module {
  /** Whether the layer overwrites its input (saves memory while training; the input must not be needed again). */
  readonly inplace: boolean;
  constructor(options: ActivationOptions = {}) {
    super();
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return hardswish(x, { inplace: this.inplace });
  }
}

/** relu6(x + 3) / 6 (MobileNetV3's squeeze-excite gate). */
export class Hardsigmoid extends Module {
  /** Whether the layer overwrites its input (saves memory while training; the input must not be needed again). */
  readonly inplace: boolean;
  constructor(options: ActivationOptions = {}) {
    super();
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return hardsigmoid(x, { inplace: this.inplace });
  }
}

/** Gaussian error linear unit, exact or tanh-approximated (ViT, ConvNeXt). */
export class GELU extends Module {
  /**
   * 'none' (default) computes the exact GELU with erf; 'tanh' the tanh approximation that some
   * checkpoints were trained with.
   */
  readonly approximate: 'none' | 'tanh';
  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = options.approximate ?? 'none';
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
}

/** 1 / (1 + exp(-x)). */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** Hyperbolic tangent. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Activation names as configurations spell them (timm's `act_layer` / `gate_layer` strings). */
export type ActivationName = 'relu' | 'relu6' | 'silu' | 'swish' | 'gelu' | 'hardswish' | 'hard_swish' | 'hardsigmoid' | 'hard_sigmoid' | 'sigmoid' | 'tanh';

/**
 * An activation layer by name.
 *
 * @example
 *   createActivation('hard_sigmoid');   // a Hardsigmoid layer
 *   createActivation('relu', { inplace: true });
 */
export function createActivation(name: ActivationName, options: ActivationOptions = {}): Module {
  switch (name) {
    case 'relu':
      return new ReLU(options);
    case 'relu6':
      return new ReLU6(options);
    case 'silu':
    case 'swish':
      return new SiLU(options);
    case 'gelu':
      return new GELU();
    case 'hardswish':
    case 'hard_swish':
      return new Hardswish(options);
    case 'hardsigmoid':
    case 'hard_sigmoid':
      return new Hardsigmoid(options);
    case 'sigmoid':
      return new Sigmoid();
    case 'tanh':
      return new Tanh();
  }
  throw new TypeError(`unknown activation '${name as string}'; expected one of relu, relu6, silu, gelu, hardswish, hardsigmoid, sigmoid, tanh`);
}
