/** Every ATen operator the exporter maps to ONNX, by schema name. */
import { ACTIVATION } from './activation.js';
import { CONV_POOL } from './conv-pool.js';
import { ELEMENTWISE } from './elementwise.js';
import { LINEAR_ALGEBRA } from './linear-algebra.js';
import type { OpMapping } from './mapping.js';
import { NORMALIZATION } from './normalization.js';
import { SHAPE } from './shape.js';

export const OP_MAPPINGS: ReadonlyMap<string, OpMapping> = new Map(
  Object.entries({ ...ELEMENTWISE, ...ACTIVATION, ...SHAPE, ...CONV_POOL, ...NORMALIZATION, ...LINEAR_ALGEBRA }),
);
