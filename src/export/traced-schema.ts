/**
 * What the tracer needs of an ATen operator's schema: which positional arguments are tensors
 * (values in the graph) and which are plain numbers, lists or strings (attributes), how many
 * tensors come back, and whether the operator writes into its first argument. The schema
 * text itself is parsed by src/native/aten-schema.ts; this is the tracer's reading of it.
 *
 * @example
 *   const s = tracedSchemaOf('aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor');
 *   s.name;                    // 'add.Tensor'
 *   s.args.map((a) => a.kind); // ['tensor', 'tensor', 'other']
 */
import { parseSchema } from '../native/aten-schema.js';

/** How an argument travels through the trace. */
export type TracedArgKind = 'tensor' | 'tensorList' | 'other';

export interface TracedArgument {
  readonly name: string;
  readonly kind: TracedArgKind;
}

export interface TracedSchema {
  /** `conv2d` or `add.Tensor` (no `aten::`; other namespaces keep theirs). */
  readonly name: string;
  /** Every argument in schema order, keyword-only ones too (the addon takes them positionally). */
  readonly args: readonly TracedArgument[];
  /** Whether the operator returns one tensor, a tuple of them, a tensor list, or a non-tensor. */
  readonly returns: 'tensor' | 'tuple' | 'tensorList' | 'other';
  /** Writes into its first argument (`relu_`, `add_.Tensor`, `out=` variants). */
  readonly inPlace: boolean;
}

/** The kind of an argument type (alias annotations already dropped by the parser). */
function kindOf(type: string): TracedArgKind {
  if (type === 'Tensor' || type === 'Tensor?') return 'tensor';
  if (/^Tensor\??\[\d*\]\??$/.test(type)) return 'tensorList';
  return 'other';
}

function returnsOf(types: readonly string[]): TracedSchema['returns'] {
  if (types.length > 1) return 'tuple';
  if (types[0] === 'Tensor') return 'tensor';
  if (types[0] === 'Tensor[]') return 'tensorList';
  return 'other';
}

/** The tracer's reading of a schema string as `native.schema(op)` returns it. */
export function tracedSchemaOf(text: string): TracedSchema {
  const schema = parseSchema(text);
  const name = schema.namespace === 'aten' || !schema.namespace ? schema.key : `${schema.namespace}::${schema.key}`;
  // A name ending in `_` mutates its input; so does a `Tensor(a!) self` argument (the out= variants).
  const inPlace = name.split('.')[0]!.endsWith('_') || /Tensor\([a-z]!\) self/.test(text);
  return { name, args: schema.args.map((a) => ({ name: a.name, kind: kindOf(a.type) })), returns: returnsOf(schema.returns), inPlace };
}
