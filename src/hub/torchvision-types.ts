/**
 * One row of the torchvision weights table (`torchvision-weights.ts`): a member of a
 * torchvision weights enum, e.g. `ResNet50_Weights.IMAGENET1K_V2`, with the facts finegrain
 * needs to download it and to preprocess as torchvision's `weights.transforms()` does.
 *
 * @example
 *   const row: TorchvisionWeights = { arch: 'resnet50', weights: 'IMAGENET1K_V2', file: 'resnet50-11ad3fa6.pth',
 *     resize: 232, crop: 224, interpolation: 'bilinear', numClasses: 1000, isDefault: true };
 */
export interface TorchvisionWeights {
  /** torchvision's builder name, which is finegrain's registry name. */
  arch: string;
  /** The enum member ('IMAGENET1K_V1', 'IMAGENET1K_SWAG_E2E_V1', …). */
  weights: string;
  /** The file name under the download folder; its `-<hex>.` part is a sha256 prefix. */
  file: string;
  /** `ImageClassification.resize_size`: the short side before the centre crop. */
  resize: number;
  /** `ImageClassification.crop_size`: the network input side. */
  crop: number;
  /** The resampling torchvision evaluates with. */
  interpolation: 'bilinear' | 'bicubic' | 'nearest';
  /** Per-channel mean and std, only where they are not ImageNet's. */
  mean?: [number, number, number];
  std?: [number, number, number];
  /** The classifier's size (`len(meta['categories'])`); absent for feature-only weights. */
  numClasses?: number;
  /** Constructor options torchvision forces when loading these weights. */
  modelOptions?: { transformInput?: boolean; imageSize?: number };
  /** Whether this member is the enum's `DEFAULT`. */
  isDefault?: boolean;
}
