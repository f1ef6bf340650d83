/**
 * The ResNet family's variants as data: torchvision's ResNets, ResNeXt and Wide ResNet
 * (torchvision initialisation), and timm's SE-ResNets and SK-ResNets (timm initialisation and
 * block options). Every variant accepts `attention` ('se' | 'ge' | 'cbam' | 'sk').
 *
 * @example
 *   import { resnetVariants } from './variants.js';
 *   resnetVariants.map((v) => v.name);   // ['resnet18', …, 'skresnet50']
 */
import type { ModelVariant } from '../variant.js';
import { ResNet, type ResNetConfig } from './resnet.js';

const TABLE: Record<string, { source: 'torchvision' | 'timm'; config: ResNetConfig }> = {
  resnet18: { source: 'torchvision', config: { block: 'basic', layers: [2, 2, 2, 2] } },
  resnet34: { source: 'torchvision', config: { block: 'basic', layers: [3, 4, 6, 3] } },
  resnet50: { source: 'torchvision', config: { block: 'bottleneck', layers: [3, 4, 6, 3] } },
  resnet101: { source: 'torchvision', config: { block: 'bottleneck', layers: [3, 4, 23, 3] } },
  resnet152: { source: 'torchvision', config: { block: 'bottleneck', layers: [3, 8, 36, 3] } },
  resnext50_32x4d: { source: 'torchvision', config: { block: 'bottleneck', layers: [3, 4, 6, 3], groups: 32, widthPerGroup: 4 } },
  wide_resnet50_2: { source: 'torchvision', config: { block: 'bottleneck', layers: [3, 4, 6, 3], widthPerGroup: 128 } },
  // timm resnet.py: block_args=dict(attn_layer='se'), zero_init_last=True (the ResNet default).
  seresnet18: { source: 'timm', config: { block: 'basic', layers: [2, 2, 2, 2], attention: 'se', zeroInitLast: true } },
  seresnet34: { source: 'timm', config: { block: 'basic', layers: [3, 4, 6, 3], attention: 'se', zeroInitLast: true } },
  seresnet50: { source: 'timm', config: { block: 'bottleneck', layers: [3, 4, 6, 3], attention: 'se', zeroInitLast: true } },
  // timm sknet.py: sk_kwargs and zero_init_last=False.
  skresnet18: { source: 'timm', config: { block: 'basic', layers: [2, 2, 2, 2], attention: 'sk', sk: { rdRatio: 1 / 8, rdDivisor: 16, splitInput: true } } },
  skresnet34: { source: 'timm', config: { block: 'basic', layers: [3, 4, 6, 3], attention: 'sk', sk: { rdRatio: 1 / 8, rdDivisor: 16, splitInput: true } } },
  skresnet50: { source: 'timm', config: { block: 'bottleneck', layers: [3, 4, 6, 3], attention: 'sk', sk: { splitInput: true } } },
};

export const resnetVariants: ModelVariant[] = Object.entries(TABLE).map(([name, { source, config }]) => ({
  name,
  family: 'resnet',
  source,
  inputSize: [3, 224, 224],
  supportsAttention: true,
  build: (options) => new ResNet(config, options),
}));
