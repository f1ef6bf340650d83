/**
 * Which finegrain model takes the weights of a timm architecture, as data. A row exists only
 * where the two state dicts have the same key names and shapes, so a hub file loads into the
 * finegrain model as it is (`createModel(row.finegrain, { pretrained: file })`). Everything
 * else is refused by name, with what to use instead — never loaded by guessing.
 *
 * @example
 *   timmToFinegrain('resnet50');               // 'resnet50'
 *   timmToFinegrain('vit_base_patch32_224');   // undefined (see `refusalHint`)
 */

/**
 * One mapping row.
 * @example const row: TimmArchitectureRow = { timm: 'resnet50', finegrain: 'resnet50' };
 */
export interface TimmArchitectureRow {
  /** timm's architecture name (config.json's `architecture`). */
  timm: string;
  /** finegrain's registry name (`listModels()`). */
  finegrain: string;
}

const same = (names: string[]): TimmArchitectureRow[] => names.map((n) => ({ timm: n, finegrain: n }));

/**
 * The rows, grouped, each group with why its key names match.
 * @example TIMM_ARCHITECTURES.find((r) => r.timm === 'tv_resnet50')?.finegrain; // 'resnet50'
 */
export const TIMM_ARCHITECTURES: readonly TimmArchitectureRow[] = [
  // finegrain builds these from timm's own code (registry source 'timm'): RegNet with timm's
  // stem/s1…s4/b1…/head.fc names, timm's SE- and SK-ResNets, and timm's TensorFlow ports.
  ...same(['regnetx_002', 'regnetx_004', 'regnetx_006', 'regnetx_008', 'regnetx_016', 'regnetx_032', 'regnetx_040', 'regnetx_064']),
  ...same(['regnetx_080', 'regnetx_120', 'regnetx_160', 'regnetx_320']),
  ...same(['regnety_002', 'regnety_004', 'regnety_006', 'regnety_008', 'regnety_016', 'regnety_032', 'regnety_040', 'regnety_064']),
  ...same(['regnety_080', 'regnety_120', 'regnety_160', 'regnety_320', 'regnety_640', 'regnety_1280']),
  ...same(['seresnet18', 'seresnet34', 'seresnet50', 'skresnet18', 'skresnet34', 'skresnet50']),
  ...same(['inception_v4', 'nasnetalarge']),
  // timm's ResNet class keeps torchvision's key names for the plain variants (conv1, bn1,
  // layerN.M.conv1…3/bn1…3, downsample.0/1, fc): no deep stem ('d' variants), no attention.
  ...same(['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152']),
  // The same timm ResNet class with groups=32/width 4 and base width 128: torchvision's layouts.
  ...same(['resnext50_32x4d', 'wide_resnet50_2']),
  // timm's densenet.py is a copy of torchvision's (features.conv0/norm0, denseblockN.denselayerM.
  // norm1/conv1/norm2/conv2, transitionN.norm/conv, norm5, classifier); its BatchNormAct2d has
  // exactly BatchNorm2d's parameters and buffers.
  ...same(['densenet121', 'densenet161', 'densenet169', 'densenet201']),
  // timm's inception_v3.py derives from torchvision's Inception3: Conv2d_1a_3x3.conv/bn …
  // Mixed_7c, AuxLogits.conv0/conv1/fc, fc. timm feeds it input normalised by the config's
  // mean/std, without torchvision's transform_input, which is finegrain's default too.
  ...same(['inception_v3']),
  // finegrain builds these ViTs with timm's names (models/vit/timm-vit.ts): patch_embed.proj,
  // cls_token, pos_embed, blocks.N.norm1/attn.qkv/attn.proj/norm2/mlp.fc1/mlp.fc2, norm, head.
  // timm's ls1/ls2 and norm_pre are identities for these definitions (no keys).
  ...same(['vit_tiny_patch16_224', 'vit_small_patch16_224', 'vit_base_patch16_224', 'vit_large_patch16_224']),
  // timm < 0.9 named torchvision's own weights with a tv_ prefix (same classes as above).
  { timm: 'tv_resnet34', finegrain: 'resnet34' },
  { timm: 'tv_resnet50', finegrain: 'resnet50' },
  { timm: 'tv_resnet101', finegrain: 'resnet101' },
  { timm: 'tv_resnet152', finegrain: 'resnet152' },
  { timm: 'tv_resnext50_32x4d', finegrain: 'resnext50_32x4d' },
  { timm: 'tv_densenet121', finegrain: 'densenet121' },
];

/**
 * timm families finegrain has under torchvision's layout only, and what to use instead. The
 * key names differ, so loading would fail (or, worse, load a subset): refuse and say why.
 */
const REFUSALS: readonly { prefix: RegExp; why: string }[] = [
  {
    prefix: /^vit_/,
    why: "finegrain builds timm's ViTs with patch 16 at 224 (vit_tiny/small/base/large_patch16_224; other sizes through the imageSize and patchSize options, trained here), and torchvision's vit_b_16/vit_b_32/vit_l_16: try one of those",
  },
  {
    prefix: /^(tf_)?efficientnet_/,
    why: "timm's EfficientNet (conv_stem, blocks.N.M) is not torchvision's layout (features.N.M.block), which finegrain's efficientnet_b* use: try torchvision:efficientnet_b0 … b7",
  },
  {
    prefix: /^convnext_/,
    why: "timm's ConvNeXt (stem, stages.N.blocks.M) is not torchvision's layout (features.N.M.block), which finegrain's convnext_* use: try torchvision:convnext_tiny/small/base/large",
  },
  {
    prefix: /^mobilenetv[23]/,
    why: "timm's MobileNet (conv_stem, blocks) is not torchvision's layout (features.N), which finegrain's mobilenet_v2/v3 use: try torchvision:mobilenet_v2 / mobilenet_v3_large / mobilenet_v3_small",
  },
  { prefix: /^vgg/, why: "timm's VGG replaces torchvision's classifier with pre_logits (ConvMlp) + head.fc: try torchvision:vgg16 (and the other vgg*)" },
  { prefix: /^regnet[xy]_\d/, why: 'finegrain has timm RegNets regnetx_002…320 and regnety_002…1280 (and torchvision:regnet_x_*/regnet_y_*)' },
  {
    prefix: /^resnet\d+[a-z]/,
    why: "timm's lettered ResNets (resnet50d: deep stem; resnet50s, …) change the stem's key names; finegrain takes timm's plain resnet18/34/50/101/152",
  },
];

/**
 * The finegrain model for a timm architecture, or undefined.
 *
 * @example
 *   timmToFinegrain('densenet121'); // 'densenet121'
 */
export function timmToFinegrain(architecture: string): string | undefined {
  return TIMM_ARCHITECTURES.find((r) => r.timm === architecture)?.finegrain;
}

/**
 * Why an unmapped timm architecture is refused, and what finegrain can take instead.
 *
 * @example
 *   refusalHint('convnext_tiny'); // "timm's ConvNeXt (stem, stages.N.blocks.M) is not torchvision's layout …"
 */
export function refusalHint(architecture: string): string {
  const known = REFUSALS.find((r) => r.prefix.test(architecture));
  const takes = [...new Set(TIMM_ARCHITECTURES.filter((r) => !r.timm.startsWith('tv_')).map((r) => r.timm))].join(', ');
  return `${known ? `${known.why}. ` : ''}finegrain takes hub weights of timm's ${takes}`;
}
