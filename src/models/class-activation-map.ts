/**
 * Class activation maps: where in the photo the evidence for ONE class lies (the seed's
 * channel-mean attention image, `attentionMaps`, is the same for every class).
 *
 * - `'cam'` (Zhou et al. 2016), for models whose logits are a linear layer over the globally
 *   averaged last feature map (resnet, regnet, mobilenet_v2, efficientnet, densenet, ...):
 *   the class's classifier weights applied to the feature map at every position,
 *   `cam_k(h, w) = sum_c W[k, c] F[c, h, w]` — exact, and one forward pass.
 * - `'grad-cam'` (Selvaraju et al. 2017) for every other head (pre-logits layers: vgg,
 *   mobilenet_v3, convnext): each channel weighted by the mean gradient of the class's logit
 *   with respect to it, `relu(sum_c mean_hw(dz_k/dF_c) F_c)`.
 * Models whose logits do not depend on the feature map at all (vit classifies its class
 * token) get the class-agnostic map, and `method` says so: `'feature-mean'`.
 *
 * Maps come back [N, S, S] in [0, 1] per image (upsampled bilinearly to the input size),
 * computed in float32.
 *
 * @example
 *   const { maps, method } = classActivationMaps(model, x, [predicted]); // maps [1, 224, 224]
 */
import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import { grad } from '../autograd/grad.js';
import { interpolate, relu } from '../nn/functional/index.js';
import { adaptiveAvgPool2d } from '../nn/functional/pooling.js';
import { tensor } from '../tensor/creation.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { attentionMaps } from './attention-map.js';
import { ImageClassifier } from './classifier.js';

/** How a class activation map was computed: CAM (the class's classifier weights over the last feature map, for linear heads), Grad-CAM (gradient-weighted channels, for other heads), or the class-agnostic channel mean (models whose logits do not depend on the feature map, such as ViT). */
export type ActivationMapMethod = 'cam' | 'grad-cam' | 'feature-mean';

interface Internals {
  preLogits(pooled: Tensor): Tensor;
  forwardEmbedding(x: Tensor): Tensor;
}

/** Whether the logits are a linear layer over the pooled feature map (CAM is exact then). */
export function hasLinearHead(model: ImageClassifier): boolean {
  const base = ImageClassifier.prototype as unknown as Internals;
  const m = model as unknown as Internals;
  const head = model.getSubmodule(model.classifierPath) as unknown as { weight?: Tensor };
  return m.preLogits === base.preLogits && m.forwardEmbedding === base.forwardEmbedding && head.weight !== undefined;
}

/** The method `classActivationMaps` uses for this model. */
export function activationMapMethod(model: ImageClassifier): ActivationMapMethod {
  return hasLinearHead(model) ? 'cam' : 'grad-cam';
}

/** Scales each map [N, h, w] to [0, 1] (a flat map becomes all zeros). */
function normalise01(maps: Tensor): Tensor {
  const flat = maps.flatten(1);
  const lo = flat.min(1, true).values.unsqueeze(2);
  const hi = flat.max(1, true).values.unsqueeze(2);
  return maps.sub(lo).div(hi.sub(lo).clamp(1e-12, null));
}

function upsample(maps: Tensor, size: readonly [number, number]): Tensor {
  return interpolate(maps.unsqueeze(1), { size: [size[0], size[1]], mode: 'bilinear', alignCorners: false }).squeeze(1);
}

/**
 * The activation map of class `classes[i]` for image `i` of the float32 batch `x` [N, 3, S, S]
 * (on the model's device). Returns maps [N, S, S] in [0, 1] (CPU) and the method used.
 */
export interface ActivationMaps {
  /** [N, S, S] in [0, 1]: each image's map for its class. */
  maps: Tensor;
  /** [N, S, S] in [0, 1]: the recipe's class-agnostic map (channel mean) from the same features. */
  classAgnostic: Tensor;
  method: ActivationMapMethod;
}

/**
 * `options.method` forces Grad-CAM on a linear head (for comparisons: there it equals CAM up
 * to the [0, 1] scaling, since the mean gradient of a logit over a pooled map is W[k] / hw).
 */
export function classActivationMaps(
  model: ImageClassifier,
  x: Tensor,
  classes: readonly number[],
  options: { method?: 'grad-cam'; weight?: Tensor } = {},
): ActivationMaps {
  const n = x.size(0);
  if (classes.length !== n) throw new RangeError(`classActivationMaps: ${n} images but ${classes.length} classes`);
  // `weight` [K, D] stands in for a linear head's weight (the closed-form head of a model with
  // enrolled classes); CAM only.
  const rows = options.weight?.size(0) ?? model.numClasses;
  for (const k of classes) {
    if (!(Number.isInteger(k) && k >= 0 && k < rows)) throw new RangeError(`classActivationMaps: class ${k} outside [0, ${rows})`);
  }
  if (options.weight && !(hasLinearHead(model) && options.method !== 'grad-cam'))
    throw new RangeError('classActivationMaps: a replacement head weight needs a linear head (CAM)');
  const size: [number, number] = [x.size(2), x.size(3)];
  const index = tensor([...classes], { dtype: 'int64' });
  try {
    if (hasLinearHead(model) && options.method !== 'grad-cam') {
      return noGrad(() =>
        scope(() => {
          const features = model.forwardFeatures(x).float();
          const head = (model.getSubmodule(model.classifierPath) as unknown as { weight: Tensor }).weight.float();
          const w = options.weight ? options.weight.float().to({ device: head.device }) : head;
          const wk = w
            .indexSelect(0, index.to({ device: w.device }))
            .unsqueeze(2)
            .unsqueeze(3); // [N, C, 1, 1]
          const cam = relu(features.mul(wk).sum(1)); // [N, h, w]
          return { maps: normalise01(upsample(cam, size)).cpu(), classAgnostic: attentionMaps(features, size).cpu(), method: 'cam' as const };
        }),
      );
    }
    return gradCam(model, x, index, size);
  } finally {
    index.dispose();
  }
}

function gradCam(model: ImageClassifier, x: Tensor, index: Tensor, size: [number, number]): ActivationMaps {
  return scope(() => {
    const features = noGrad(() => model.forwardFeatures(x).float())
      .detach()
      .requiresGrad_(true);
    // The forward pass again from the feature map: this instance's forwardFeatures hands
    // back the leaf, so whatever the model does after its features is what the gradient sees.
    const own = Object.getOwnPropertyDescriptor(model, 'forwardFeatures');
    Object.defineProperty(model, 'forwardFeatures', { value: () => features, configurable: true, writable: true });
    let logits: Tensor;
    try {
      logits = enableGrad(() => model.forward(x));
    } finally {
      if (own) Object.defineProperty(model, 'forwardFeatures', own);
      else delete (model as unknown as Record<string, unknown>).forwardFeatures;
    }
    const picked = enableGrad(() =>
      logits
        .float()
        .gather(1, index.to({ device: logits.device }).unsqueeze(1))
        .sum(),
    );
    const [g] = grad([picked], [features], { allowUnused: true });
    const classAgnostic = noGrad(() => attentionMaps(features.detach(), size).cpu());
    if (!g || noGrad(() => g.abs().max().item()) === 0) {
      // The logits do not look at the feature map (vit's class token): say so, show the recipe's map.
      return { maps: classAgnostic.clone(), classAgnostic, method: 'feature-mean' as const };
    }
    return noGrad(() => {
      const alpha = adaptiveAvgPool2d(g, 1); // [N, C, 1, 1]
      const cam = relu(features.detach().mul(alpha).sum(1));
      return { maps: normalise01(upsample(cam, size)).cpu(), classAgnostic, method: 'grad-cam' as const };
    });
  });
}
