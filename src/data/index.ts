/** The data layer: datasets, decoding, transforms, augmentation, the loader, synthetic data. */
export * from './random.js';
export * from './image.js';
export * from './skip-report.js';
export * from './decode/decode-image.js';
