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

/** The cases of a group, in listModels() order. */
export function groupCases(names: readonly string[], group: keyof typeof EXPORT_GROUPS): ExportCase[] {
  const re = EXPORT_GROUPS[group]!;
  return names
    .filter((n) => re.test(n))
    .map((n) => {
      const c = sized(n);
      // 645M parameters: a folded copy of the weights would double the export's memory.
      return group === 'regnet-huge' ? { ...c, foldBatchNorm: false } : c;
    });
}
