/**
 * Which export parity file covers which architecture, and at what input size: small inputs
 * wherever the architecture allows (ViTs take an `imageSize` option; inception needs 75 px).
 * The coverage test checks that every name `listModels()` returns is in exactly one group.
 */
import type { ExportCase } from './export-parity.js';

function sized(name: string): ExportCase {
  if (name.startsWith('vit_')) return { name, imageSize: 32, options: { imageSize: 32 } as ExportCase['options'] };
  if (name.startsWith('inception')) return { name, imageSize: 75 };
  if (name.startsWith('vgg') || /32gf|128gf|_320$|_640$|_1280$/.test(name)) return { name, imageSize: 32 };
  return { name, imageSize: 64 };
}

/** The groups, each a test file: name → the filter over listModels(). */
export const EXPORT_GROUPS: Record<string, RegExp> = {
  classic: /^(alexnet|vgg|googlenet|inception|nasnet|densenet|convnext|vit_)/,
  resnet: /^(resnet|resnext|wide_resnet|seresnet|skresnet)/,
  mobile: /^(mobilenet|efficientnet)/,
  regnet: /^(regnet_|regnetx_|regnety_)(?!.*(128gf|1280|640|320|32gf|16gf|160$))/,
  'regnet-large': /^(regnet_[xy]_(16gf|32gf)|regnet[xy]_(160|320|640))$/,
  'regnet-huge': /^(regnet_y_128gf|regnety_1280)$/,
};

/**
 * What `npm test` exports by default: one or two architectures of every family, covering
 * every layer kind the zoo uses (each layer maps through the same per-operator table, so a
 * family's other variants differ only in sizes). The whole zoo — 89 architectures, over an
 * hour on 2 cores — runs with `FINEGRAIN_EXPORT_PARITY=all`.
 */
export const SAMPLED = new Set([
  'alexnet',
  'vgg11_bn',
  'googlenet',
  'inception_v3',
  'inception_v4',
  'densenet121',
  'convnext_tiny',
  'vit_b_32',
  'resnet18',
  'resnext50_32x4d',
  'seresnet18',
  'skresnet18',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'efficientnet_b0',
  'regnet_x_400mf',
  'regnet_y_400mf',
  'regnetx_002',
  'regnety_002',
]);

export const EXPORT_ALL = process.env.FINEGRAIN_EXPORT_PARITY === 'all';

/** The cases of a group, in listModels() order (the sampled ones unless FINEGRAIN_EXPORT_PARITY=all). */
export function groupCases(names: readonly string[], group: keyof typeof EXPORT_GROUPS, options: { all?: boolean } = {}): ExportCase[] {
  const re = EXPORT_GROUPS[group]!;
  const all = options.all ?? EXPORT_ALL;
  return names
    .filter((n) => re.test(n) && (all || SAMPLED.has(n)))
    .map((n) => {
      const c = sized(n);
      // 645M parameters: a folded copy of the weights would double the export's memory.
      return group === 'regnet-huge' ? { ...c, foldBatchNorm: false } : c;
    });
}
