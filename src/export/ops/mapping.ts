/** The shape of an operator mapping: one traced ATen call in, ONNX nodes out (via `ctx.out`). */
import type { OpContext } from '../op-context.js';

export type OpMapping = (ctx: OpContext) => void;

/** A table of mappings by ATen schema name (`add.Tensor`, `conv2d`). */
export type OpTable = Record<string, OpMapping>;
