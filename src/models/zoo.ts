/**
 * Every model family's variant table, in one list for the registry. A new family adds its
 * import and spreads its table here.
 */
import type { ModelVariant } from './variant.js';
import { resnetVariants } from './resnet/variants.js';

export const ZOO: readonly ModelVariant[] = [...resnetVariants];
