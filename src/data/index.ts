/** The data layer: datasets, decoding, transforms, augmentation, the loader, synthetic data. */
export * from './random.js';
export * from './image.js';
export * from './skip-report.js';
export * from './decode/decode-image.js';
export * from './decode/sharp.js';
export * from './datasets/dataset.js';
export * from './datasets/list-images.js';
export * from './datasets/parse-csv.js';
export * from './datasets/image-folder.js';
export * from './datasets/csv.js';
export * from './datasets/cub.js';
export * from './datasets/unlabeled.js';
export * from './datasets/split.js';
export * from './datasets/compose.js';
