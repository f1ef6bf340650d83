/**
 * The allowlist: every Python global a weights file may name, and what naming, calling or
 * BUILDing it means here — the same list, in spirit, as PyTorch's own `weights_only`
 * unpickler. Nothing is imported or executed: each entry is a TypeScript handler that builds
 * data (a TensorRef, a PyDict, a number). Anything else is refused at the GLOBAL opcode, before
 * a single object of it exists:
 *
 *   refused: posix.system is not allowed in a weights file
 *
 * @example
 *   const cls = resolveGlobal('collections', 'OrderedDict');   // a PyGlobal
 *   const dict = callGlobal(cls as PyGlobal, []);               // an empty PyDict
 */
import { fail } from './error.js';
import { STORAGE_TYPES, TORCH_DTYPES } from './storage-types.js';
import { decodeNumpyScalar } from './numpy-scalar.js';
import { rebuildTensor, rebuildTensorV3 } from './rebuild-tensor.js';
import { brief, NumpyDtype, PyDict, PyGlobal, PyObject, PySet, PyTuple, StorageRef, TensorRef, TorchDtype, typeName, type PyValue } from './values.js';

/** Plain-data classes: instances are their attributes (set by BUILD), nothing more. */
const DATA_CLASSES = new Set(['argparse.Namespace']);
/** dict subclasses that checkpoints carry in their hyperparameters (Lightning's AttributeDict). */
const DICT_CLASSES = new Set([
  'collections.OrderedDict',
  'pytorch_lightning.utilities.parsing.AttributeDict',
  'lightning.pytorch.utilities.parsing.AttributeDict',
  'lightning.fabric.utilities.data.AttributeDict',
  'lightning_fabric.utilities.data.AttributeDict',
]);
/** PyTorch's own rebuild functions for tensors finegrain cannot hold: unsupported, not dangerous. */
const UNSUPPORTED = new Map([
  ['torch._utils._rebuild_qtensor', 'a quantized tensor'],
  ['torch._utils._rebuild_sparse_tensor', 'a sparse tensor'],
  ['torch._utils._rebuild_sparse_csr_tensor', 'a sparse tensor'],
  ['torch._utils._rebuild_nested_tensor', 'a nested tensor'],
  ['torch._utils._rebuild_meta_tensor_no_storage', 'a tensor on the meta device (no data)'],
  ['torch._utils._rebuild_wrapper_subclass', 'a tensor subclass'],
  ['torch._utils._rebuild_device_tensor_from_numpy', 'a tensor stored as a numpy array'],
  ['torch._utils._rebuild_xla_tensor', 'an XLA tensor'],
  ['torch.serialization._get_layout', 'a sparse tensor layout'],
]);
const CALLABLES = new Set([
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._tensor._rebuild_from_type_v2',
  'torch.nn.parameter.Parameter',
  'torch.Tensor',
  'torch.Size',
  'torch.device',
  '_codecs.encode',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.dtype',
  'builtins.set',
  'builtins.frozenset',
  'builtins.bytearray',
  'builtins.list',
  'builtins.dict',
  'builtins.tuple',
]);

function refuse(qualified: string, why = ''): never {
  return fail('REFUSED', `refused: ${qualified} is not allowed in a weights file${why}`);
}

function hint(module: string): string {
  if (/^(__main__|torchvision|timm|torch\.nn\.modules|models?)(\.|$)/.test(module))
    return ' (a whole pickled model or a custom class: save model.state_dict() instead)';
  return '';
}

/**
 * What a GLOBAL (or STACK_GLOBAL) opcode pushes: a dtype or storage class as data, an
 * allowlisted callable as a PyGlobal, anything else refused.
 */
export function resolveGlobal(module: string, name: string): PyValue {
  // Protocol 2 writes Python 3's builtins under Python 2's name.
  if (module === '__builtin__') module = 'builtins';
  const qualified = `${module}.${name}`;
  if (module === 'torch' || module === 'torch.cuda') {
    const storage = STORAGE_TYPES.get(name);
    if (storage) return new PyGlobal('torch', name);
    if (module === 'torch' && TORCH_DTYPES.has(name)) return new TorchDtype(name);
  }
  if (module === 'torch.storage' && name === 'UntypedStorage') return new PyGlobal('torch', 'UntypedStorage');
  if (CALLABLES.has(qualified) || DATA_CLASSES.has(qualified) || DICT_CLASSES.has(qualified) || UNSUPPORTED.has(qualified)) return new PyGlobal(module, name);
  return refuse(qualified, hint(module));
}

const tupleItems = (v: PyValue, what: string): PyValue[] => {
  if (v instanceof PyTuple) return v.items;
  if (Array.isArray(v)) return v;
  return fail('BAD_PICKLE', `${what}: expected a tuple, got ${typeName(v)}`);
};

function asTensor(v: PyValue | undefined, what: string): TensorRef {
  if (v instanceof TensorRef) return v;
  return fail('BAD_PICKLE', `${what}: expected a tensor, got ${typeName(v)}`);
}

/** REDUCE (and NEWOBJ, INST, OBJ): the callable applied to its arguments. */
export function callGlobal(g: PyValue, args: PyValue[]): PyValue {
  if (!(g instanceof PyGlobal)) return refuse(`calling a ${typeName(g)}`);
  const q = g.qualified;
  const unsupported = UNSUPPORTED.get(q);
  if (unsupported) return fail('UNSUPPORTED', `the checkpoint holds ${unsupported} (${q}), which finegrain cannot load`);
  if (DICT_CLASSES.has(q)) {
    const d = new PyDict(q);
    // OrderedDict([(k, v), ...]) - the form older pickles use.
    if (args.length > 0 && args[0] !== null)
      for (const pair of tupleItems(args[0]!, q)) {
        const [k, v] = tupleItems(pair, q);
        d.entries.set(k ?? null, v ?? null);
      }
    return d;
  }
  if (DATA_CLASSES.has(q)) return new PyObject(q);
  switch (q) {
    case 'torch._utils._rebuild_tensor':
      return rebuildTensor(args[0], args[1], args[2], args[3], false, null);
    case 'torch._utils._rebuild_tensor_v2':
      return rebuildTensor(args[0], args[1], args[2], args[3], args[4], args[5] ?? null);
    case 'torch._utils._rebuild_tensor_v3':
      return rebuildTensorV3(args[0], args[1], args[2], args[3], args[4], args[5] ?? null, args[6]);
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
    case 'torch.nn.parameter.Parameter': {
      const t = asTensor(args[0], q);
      t.isParameter = true;
      return t;
    }
    case 'torch.Tensor':
      return asTensor(args[0], q);
    case 'torch._tensor._rebuild_from_type_v2': {
      // (func, new_type, args, state): only plain tensors and Parameters, as weights_only allows.
      const [func, newType, inner] = args;
      const cls = newType instanceof PyGlobal ? newType.qualified : typeName(newType);
      if (cls !== 'torch.Tensor' && cls !== 'torch.nn.parameter.Parameter') return refuse(cls, ' as a tensor type');
      const t = asTensor(callGlobal(func ?? null, tupleItems(inner ?? null, q)), q);
      if (cls === 'torch.nn.parameter.Parameter') t.isParameter = true;
      return t;
    }
    case 'torch.Size':
    case 'builtins.tuple':
      return new PyTuple(args.length ? [...tupleItems(args[0]!, q)] : []);
    case 'builtins.list':
      return args.length ? [...tupleItems(args[0]!, q)] : [];
    case 'builtins.dict':
      if (args.length) return refuse('builtins.dict', ' with arguments');
      return new PyDict();
    case 'torch.device':
      // torch.device('cuda', 0): strings and ints only (String() of a list would recurse through it).
      if (args.some((a) => typeof a !== 'string' && typeof a !== 'number'))
        return fail('BAD_PICKLE', `torch.device of ${args.map(typeName).slice(0, 4).join(', ')}`);
      return args.join(':');
    case 'builtins.set':
    case 'builtins.frozenset':
      return new PySet(args.length ? [...tupleItems(args[0]!, q)] : [], q.endsWith('frozenset'));
    case 'builtins.bytearray': {
      const v = args[0];
      if (v === undefined) return new Uint8Array(0);
      if (v instanceof Uint8Array) return v.slice();
      return fail('BAD_PICKLE', `bytearray of a ${typeName(v)}`);
    }
    case '_codecs.encode': {
      // Protocol 2's spelling of bytes: encode(text, 'latin1').
      const [text, encoding] = args;
      if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1'))
        return refuse('_codecs.encode', ` with ${typeName(encoding)} ${brief(encoding)}`);
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 255) return fail('BAD_PICKLE', '_codecs.encode: a latin1 string with a character above 255');
        out[i] = c;
      }
      return out;
    }
    case 'numpy.dtype': {
      const code = args[0];
      if (typeof code !== 'string') return fail('BAD_PICKLE', `numpy.dtype of a ${typeName(code)}`);
      return new NumpyDtype(code);
    }
    case 'numpy.core.multiarray.scalar':
    case 'numpy._core.multiarray.scalar':
      return decodeNumpyScalar(args[0], args[1]);
  }
  return refuse(q, ' as a function');
}

/** BUILD: setting an object's state. Allowed for tensors, dicts, numpy dtypes and plain-data objects only. */
export function buildObject(obj: PyValue, state: PyValue): void {
  if (obj instanceof TensorRef) return; // tensor attributes (hooks, names) carry nothing finegrain uses
  if (obj instanceof NumpyDtype) {
    const items = tupleItems(state, 'numpy.dtype state');
    const order = items[1];
    if (order === '<' || order === '>' || order === '=' || order === '|') obj.byteOrder = order;
    return;
  }
  if (obj instanceof PyDict || obj instanceof PyObject) {
    // A dict of attributes, or (dict state, slot state) as __reduce_ex__ writes for __slots__.
    const parts = state instanceof PyTuple ? state.items : [state];
    for (const part of parts) {
      if (part === null) continue;
      if (!(part instanceof PyDict)) return fail('BAD_PICKLE', `BUILD state for a ${typeName(obj)} is a ${typeName(part)}, not a dict`);
      for (const [k, v] of part.entries) if (typeof k === 'string') obj.attrs.set(k, v);
    }
    return;
  }
  return refuse(`BUILD on a ${typeName(obj)}`);
}

/** The storage a persistent id names, as a typed StorageRef (shared helper for both formats). */
export function storageFromId(typeValue: PyValue, key: string, numel: PyValue, where: string): StorageRef {
  let typeName_ = '';
  if (typeValue instanceof PyGlobal) typeName_ = typeValue.name;
  else if (typeValue instanceof TorchDtype) typeName_ = typeValue.name;
  const element = STORAGE_TYPES.get(typeName_) ?? TORCH_DTYPES.get(typeName_);
  if (!element) return fail('BAD_PICKLE', `${where}: storage ${key} has type ${typeName(typeValue)}, not a torch storage type`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0)
    return fail('BAD_TENSOR', `${where}: storage ${key} declares ${brief(numel)} elements`);
  return new StorageRef(key, typeName_, element.dtype, element.itemSize, numel);
}
