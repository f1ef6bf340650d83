/**
 * Every model family's variant table, in one list for the registry. A new family adds its
 * import and spreads its table here.
 */
import type { ModelVariant } from './variant.js';
import { alexnetVariants } from './alexnet/alexnet.js';
import { vggVariants } from './vgg/vgg.js';
import { resnetVariants } from './resnet/variants.js';
import { mobilenetV2Variants } from './mobilenet/mobilenet-v2.js';
import { mobilenetV3Variants } from './mobilenet/mobilenet-v3.js';
import { efficientnetVariants } from './efficientnet/efficientnet.js';
import { regnetVariants } from './regnet/regnet.js';
import { timmRegnetVariants } from './regnet/regnet-timm.js';
import { googlenetVariants } from './inception/googlenet.js';
import { inceptionV3Variants } from './inception/inception-v3.js';
import { inceptionV4Variants } from './inception/inception-v4.js';
import { densenetVariants } from './densenet/densenet.js';
import { vitVariants } from './vit/vit.js';
import { timmVitVariants } from './vit/timm-vit.js';
import { convnextVariants } from './convnext/convnext.js';
import { nasnetVariants } from './nasnet/nasnet.js';

export const ZOO: readonly ModelVariant[] = [
  ...alexnetVariants,
  ...vggVariants,
  ...resnetVariants,
  ...mobilenetV2Variants,
  ...mobilenetV3Variants,
  ...efficientnetVariants,
  ...regnetVariants,
  ...timmRegnetVariants,
  ...googlenetVariants,
  ...inceptionV3Variants,
  ...inceptionV4Variants,
  ...densenetVariants,
  ...vitVariants,
  ...timmVitVariants,
  ...convnextVariants,
  ...nasnetVariants,
];
