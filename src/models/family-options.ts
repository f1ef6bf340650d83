/**
 * Options that only some families take, merged into the registry's `ModelOptions` (a
 * TypeScript interface augmentation, so `createModel('vit_b_16', { imageSize: 64 })` type-checks
 * without the registry knowing every family):
 *
 * - `auxLogits` (googlenet, inception_v3): build the auxiliary classifiers, as torchvision's
 *   `aux_logits` (default true, torchvision's constructor default, so its state dicts load).
 *   They run only in training mode, through `forwardWithAux`; eval output is the main logits.
 * - `transformInput` (googlenet, inception_v3): re-normalise ImageNet-normalised input to the
 *   [-1, 1] range the original TensorFlow weights expect (torchvision's `transform_input`;
 *   default false, true for torchvision's pretrained weights).
 * - `imageSize` (vit_*): the square input side the position embedding is sized for (default
 *   224), as torchvision's `VisionTransformer(image_size=…)` and timm's `img_size`.
 * - `patchSize`, `globalPool`, `dropPath` (timm-named ViTs, `vit_tiny_patch16_224` …): the patch
 *   side (default the variant's), the pooling ('token', or 'avg' as MAE fine-tunes), and the
 *   stochastic-depth rate of the last block (timm's `drop_path_rate`).
 *
 * @example
 *   const vit = createModel('vit_b_16', { imageSize: 64, numClasses: 10 });
 *   const g = createModel('googlenet', { auxLogits: false, transformInput: true });
 */
export interface FamilyOptions {
  /** googlenet, inception_v3: build the auxiliary classifiers (default true, torchvision's). */
  auxLogits?: boolean;
  /** googlenet, inception_v3: re-normalise ImageNet-normalised input to [-1, 1], as the original weights expect (default false). */
  transformInput?: boolean;
  /** vit_*: the square input side, in pixels, the position embedding is sized for (default 224). */
  imageSize?: number;
  /** timm-named ViTs: the patch side in pixels (default the variant's, 16). */
  patchSize?: number;
  /** timm-named ViTs: 'token' (the class token, default) or 'avg' (the mean patch token through `fc_norm`, MAE's fine-tuning). */
  globalPool?: 'token' | 'avg';
  /** timm-named ViTs: the last block's drop-path (stochastic depth) rate, the others rising linearly from 0 (default 0). */
  dropPath?: number;
}

declare module './variant.js' {
  // Declaration merging adds the family options to ModelOptions; the body is empty on purpose.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ModelOptions extends FamilyOptions {}
}
