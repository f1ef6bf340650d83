/**
 * ATen operator schemas as libtorch prints them, parsed (`parseSchema`: the one parser of
 * schema text; the ONNX exporter's tracer reads its arguments and returns too, see
 * src/export/traced-schema.ts), and turned into TypeScript call signatures for
 * src/native/aten-ops.generated.ts (written by scripts/generate-aten-types.mjs, checked by
 * test/native/aten-types.test.ts). The mapping
 * mirrors what the generic call in native/src/dispatch.cc accepts and returns, argument kind by
 * argument kind, so a call that type-checks is one the addon converts: `undefined` takes the
 * schema's default (or None for an optional type), `null` is allowed only for optional types.
 *
 * @example
 *   const op = parseSchema('aten::relu(Tensor self) -> Tensor');
 *   signatureOf(op); // '(self: Handle) => Handle'
 */

/** One argument of a schema: its type text without alias annotations, name and default. */
export interface SchemaArgument {
  type: string;
  name: string;
  hasDefault: boolean;
}

/** A parsed operator schema. `key` is what `aten()` takes: `relu` or `add.Tensor`. */
export interface OperatorSchema {
  text: string;
  namespace: string;
  key: string;
  args: SchemaArgument[];
  returns: string[];
}

/** Splits `text` at top-level commas (outside brackets, parentheses and quotes). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last) parts.push(last);
  return parts;
}

/** Drops alias annotations: `Tensor(a!)` -> `Tensor`, `Tensor(a -> *)[]` -> `Tensor[]`. */
function stripAlias(type: string): string {
  return type.replace(/\([^()]*\)/g, '').trim();
}

/** The index of the parenthesis that closes the one at `open`. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced schema: ${text}`);
}

/** Parses one schema as libtorch prints it, e.g. `aten::add.Tensor(Tensor self, ...) -> Tensor`. */
export function parseSchema(text: string): OperatorSchema {
  const open = text.indexOf('(');
  const full = text.slice(0, open);
  const close = closing(text, open);
  const sep = full.indexOf('::');
  const namespace = sep < 0 ? '' : full.slice(0, sep);
  const name = sep < 0 ? full : full.slice(sep + 2);
  const key = name.endsWith('.') ? name.slice(0, -1) : name;
  const args: SchemaArgument[] = [];
  for (const part of splitTopLevel(text.slice(open + 1, close))) {
    if (part === '*' || part === '...') continue;
    const eq = part.indexOf('='); // a type and a name hold no '=', so the first starts the default
    const decl = (eq < 0 ? part : part.slice(0, eq)).trim();
    const space = decl.lastIndexOf(' ');
    args.push({ type: stripAlias(decl.slice(0, space)), name: decl.slice(space + 1), hasDefault: eq >= 0 });
  }
  const after = text.slice(close + 1).trim();
  if (!after.startsWith('->')) throw new Error(`schema without returns: ${text}`);
  let ret = after.slice(2).trim();
  const returns: string[] = [];
  if (ret.startsWith('(') && closing(ret, 0) === ret.length - 1) {
    ret = ret.slice(1, -1);
    for (const r of splitTopLevel(ret)) returns.push(stripAlias(r).split(' ')[0]!);
  } else {
    returns.push(stripAlias(ret).split(' ')[0]!);
  }
  return { text, namespace, key, args, returns };
}

/** The argument kinds dispatch.cc's `kind_of` distinguishes. */
type Kind = 'Tensor' | 'Int' | 'Float' | 'Bool' | 'Scalar' | 'Device' | 'String' | 'Generator' | 'Other';
type ListKind = 'TensorList' | 'OptTensorList' | 'IntList' | 'FloatList' | 'BoolList';

const ELEMENT_KINDS: Record<string, Kind> = {
  Tensor: 'Tensor',
  int: 'Int',
  SymInt: 'Int',
  ScalarType: 'Int',
  Layout: 'Int',
  MemoryFormat: 'Int',
  float: 'Float',
  bool: 'Bool',
  Scalar: 'Scalar',
  Device: 'Device',
  str: 'String',
  Generator: 'Generator',
};

/** The kind of a type without its trailing `?`, as dispatch.cc's `kind_of` computes it. */
function kindOf(type: string): Kind | ListKind {
  const list = /^(.*)\[\d*\]$/.exec(type);
  if (!list) return ELEMENT_KINDS[type] ?? 'Other';
  const element = list[1]!;
  if (element.endsWith('?')) return 'OptTensorList';
  const kind = kindOf(element);
  const lists: Partial<Record<string, ListKind>> = { Tensor: 'TensorList', Int: 'IntList', Float: 'FloatList', Bool: 'BoolList' };
  return lists[kind] ?? 'Other';
}

/** What dispatch.cc's `convert` accepts for each kind (a bare number for an int list, too). */
const ARGUMENT_TYPES: Record<Kind | ListKind, string> = {
  Tensor: 'Handle',
  Int: 'number',
  Float: 'number',
  Bool: 'boolean',
  Scalar: 'number | boolean',
  Device: 'string',
  String: 'string',
  Generator: 'null',
  Other: 'never',
  TensorList: 'readonly Handle[]',
  OptTensorList: 'readonly (Handle | null | undefined)[]',
  IntList: 'number | readonly number[]',
  FloatList: 'readonly number[]',
  BoolList: 'readonly boolean[]',
};

/** What dispatch.cc's `to_js` returns for each kind (None becomes null; unsupported, undefined). */
const RETURN_TYPES: Partial<Record<Kind | ListKind, string>> = {
  Tensor: 'Handle',
  Int: 'number',
  Float: 'number',
  Bool: 'boolean',
  Scalar: 'number | boolean',
  TensorList: 'Handle[]',
};

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in ' +
    'instanceof new null return super switch this throw true try typeof var void while with implements interface let package private ' +
    'protected public static yield'
  ).split(' '),
);

function argumentType(arg: SchemaArgument): { type: string; optional: boolean } {
  const optional = arg.type.endsWith('?');
  const type = ARGUMENT_TYPES[kindOf(optional ? arg.type.slice(0, -1) : arg.type)];
  if (!optional) return { type, optional: arg.hasDefault };
  // An unconvertible kind (never) or a generator (always None) can only be null or left out.
  return { type: type === 'null' || type === 'never' ? 'null' : `${type} | null`, optional: true };
}

function returnType(type: string): string {
  // kind_of gives an optional type no kind, so to_js returns null (None) or undefined for it.
  if (type.endsWith('?')) return 'null | undefined';
  return RETURN_TYPES[kindOf(type)] ?? 'undefined';
}

/** The call signature of `aten(key).call`, e.g. `(self: Handle, other: Handle, alpha?: number | boolean) => Handle`. */
export function signatureOf(schema: OperatorSchema): string {
  const types = schema.args.map(argumentType);
  let lastRequired = -1;
  types.forEach((t, i) => {
    if (!t.optional) lastRequired = i;
  });
  const params = schema.args.map((arg, i) => {
    const name = RESERVED.has(arg.name) ? `${arg.name}_` : arg.name;
    const { type, optional } = types[i]!;
    if (!optional) return `${name}: ${type}`;
    // TypeScript allows `?` only after the last required parameter; before it, `| undefined`.
    return i < lastRequired ? `${name}: ${type} | undefined` : `${name}?: ${type}`;
  });
  const rets = schema.returns.map(returnType);
  const ret = rets.length === 1 ? rets[0]! : `[${rets.join(', ')}]`;
  return `(${params.join(', ')}) => ${ret}`;
}

/** The `aten()` keys named by string literals in `sources` that are ATen operators in `schemas`. */
export function usedOperators(sources: readonly string[], schemas: readonly OperatorSchema[]): OperatorSchema[] {
  const byKey = new Map(schemas.filter((s) => s.namespace === 'aten').map((s) => [s.key, s]));
  const used = new Map<string, OperatorSchema>();
  for (const source of sources) {
    for (const m of source.matchAll(/(['"`])([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)\1/g)) {
      const found = byKey.get(m[2]!);
      if (found) used.set(found.key, found);
    }
  }
  return [...used.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The text of src/native/aten-ops.generated.ts (before formatting). */
export function renderDeclarations(schemas: readonly OperatorSchema[], torchVersion: string): string {
  const lines = [
    `// Generated by scripts/generate-aten-types.mjs from libtorch ${torchVersion}'s operator schemas. Do not edit by hand:`,
    '// run `node scripts/generate-aten-types.mjs` after adding an aten() call (test/native/aten-types.test.ts checks it).',
    "import type { Handle } from './binding.js';",
    '',
    '/** Call signatures of the ATen operators finegrain names, arguments in schema order (see aten.ts). */',
    'export interface AtenOps {',
  ];
  for (const s of schemas) {
    lines.push(`  /** ${s.text.replace(/\*\//g, '* /')} */`, `  '${s.key}': ${signatureOf(s)};`);
  }
  lines.push('}', '');
  return lines.join('\n');
}
