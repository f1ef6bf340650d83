/**
 * Parsing ATen operator schemas (`aten::conv2d(Tensor input, Tensor weight, Tensor? bias=None,
 * int[2] stride=1, ...) -> Tensor`) into what the tracer needs: which positional arguments
 * are tensors (values in the graph) and which are plain numbers, lists or strings
 * (attributes), and how many tensors come back.
 *
 * @example
 *   const s = parseAtenSchema('aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor');
 *   s.name;                 // 'add.Tensor'
 *   s.args.map((a) => a.kind); // ['tensor', 'tensor', 'other']
 */

/** How an argument travels through the trace. */
export type AtenArgKind = 'tensor' | 'tensorList' | 'other';

export interface AtenArgSpec {
  readonly name: string;
  readonly kind: AtenArgKind;
  /** The type as written in the schema (`Tensor?`, `int[2]`, `Scalar`, ...). */
  readonly type: string;
}

export interface AtenSchema {
  /** `conv2d` or `add.Tensor` (no `aten::`). */
  readonly name: string;
  readonly args: readonly AtenArgSpec[];
  /** Whether the operator returns one tensor, a tuple of them, a tensor list, or a non-tensor. */
  readonly returns: 'tensor' | 'tuple' | 'tensorList' | 'other';
  /** Writes into its first argument (`relu_`, `add_.Tensor`, `out=` variants). */
  readonly inPlace: boolean;
}

// Splits on commas outside brackets (types such as `Tensor(a!)` or `int[2]` hold none, but defaults like `[0, 0]` do).
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last) parts.push(last);
  return parts;
}

function kindOf(type: string): AtenArgKind {
  const t = type.replace(/\([^)]*\)/g, ''); // drop alias annotations: Tensor(a!) -> Tensor
  if (t === 'Tensor' || t === 'Tensor?') return 'tensor';
  if (/^Tensor\??\[\d*\]\??$/.test(t)) return 'tensorList';
  return 'other';
}

/** Parses a schema string as `native.schema(op)` returns it. */
export function parseAtenSchema(schema: string): AtenSchema {
  const open = schema.indexOf('(');
  const arrow = schema.lastIndexOf('->');
  const close = schema.lastIndexOf(')', arrow);
  if (open < 0 || arrow < 0 || close < open) throw new Error(`unparsable ATen schema: ${schema}`);
  const name = schema.slice(0, open).replace(/^aten::/, '');
  const args: AtenArgSpec[] = [];
  for (const part of splitTopLevel(schema.slice(open + 1, close))) {
    if (part === '*') continue; // keyword-only marker: the addon still takes them positionally
    const noDefault = part.split('=')[0]!.trim();
    const space = noDefault.lastIndexOf(' ');
    const type = noDefault.slice(0, space).trim();
    args.push({ name: noDefault.slice(space + 1), type, kind: kindOf(type) });
  }
  // Alias annotations dropped: `Tensor(a -> *)[]` is a tensor list.
  const ret = schema
    .slice(arrow + 2)
    .trim()
    .replace(/Tensor\([^)]*\)/g, 'Tensor');
  const returns =
    ret.startsWith('(') && ret.includes(',') ? 'tuple' : /^\(?Tensor\)?$/.test(ret) ? 'tensor' : /^Tensor\[\]$/.test(ret) ? 'tensorList' : 'other';
  const base = name.split('.')[0]!;
  const inPlace = base.endsWith('_') || /Tensor\([a-z]!\) self/.test(schema);
  return { name, args, returns, inPlace };
}
