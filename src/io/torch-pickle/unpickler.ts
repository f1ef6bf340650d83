/**
 * A pickle machine (protocols 0–5) that builds data and never runs code. Globals go through
 * the allowlist (allowed-globals.ts): an unknown one is refused at the GLOBAL opcode, before
 * anything of it is made. Tensors arrive through `persistentLoad`, which each checkpoint
 * format supplies (zip records or legacy storages).
 *
 * Hostile input cannot hang it or exhaust memory: it reads the stream once, forward; every
 * length is checked against the bytes left before allocating; the memo is a Map (a huge
 * index costs one entry); integers are capped at 4 KiB of digits; what the allowlisted calls
 * copy is bounded by the pickle's own size (WORK_PER_BYTE).
 *
 * @example
 *   const value = unpickle(bufferInput(bytes, 'm.pth:data.pkl'), (pid) => storageFor(pid));
 */
import { callGlobal, buildObject, resolveGlobal } from './allowed-globals.js';
import type { ByteInput } from './byte-input.js';
import { fail } from './error.js';
import { OP, opName } from './opcodes.js';
import { NumpyDtype, PyDict, PySet, PyTuple, typeName, type PyValue } from './values.js';

/** Resolves a persistent id (the tuple torch.save writes for each storage) to its value. */
export type PersistentLoad = (pid: PyValue) => PyValue;

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');
const MAX_LONG_BYTES = 4096;

/**
 * The handlers (list(), tuple(), set(), OrderedDict(pairs), bytes through _codecs.encode, BUILD's
 * state) walk their arguments one level deep, and a memoized argument can be handed to them again
 * and again: a 300 KB pickle that calls list(L) 30,000 times on one 100,000-item L asks for 3e9
 * references, and V8's heap limit ends the process. So each call is charged the sizes of its
 * arguments, and all calls together may walk at most WORK_PER_BYTE elements per pickle byte read
 * so far, plus WORK_BASE (real pickles walk far less than one per byte: each element was written
 * once, in a byte or more, and most calls are _rebuild_tensor_v2's few small arguments).
 */
const WORK_PER_BYTE = 2;
const WORK_BASE = 1 << 18;

/** How many elements a handler may walk in `v` (one level). */
function shallowSize(v: PyValue): number {
  if (Array.isArray(v)) return v.length;
  if (v instanceof PyTuple || v instanceof PySet) return v.items.length;
  if (v instanceof PyDict) return v.entries.size;
  if (v instanceof Uint8Array) return v.byteLength;
  if (typeof v === 'string') return v.length;
  if (v instanceof NumpyDtype) return v.code.length; // matched against a pattern by numpy scalars
  return 0;
}

function decodeUtf8(bytes: Uint8Array, where: string): string {
  // Short ASCII strings (state-dict keys, 'storage', 'cpu') are nearly all of a checkpoint's
  // strings; building them directly is several times faster than a TextDecoder call each.
  if (bytes.byteLength <= 256) {
    let ascii = true;
    for (let i = 0; i < bytes.byteLength; i++) if (bytes[i]! > 0x7f) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return fail('BAD_PICKLE', `${where}: a string that is not valid UTF-8`);
  }
}

/** Little-endian two's complement bytes (LONG1/LONG4) as a number, or a bigint beyond 2^53. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.byteLength === 0) return 0;
  let v = 0n;
  for (let i = bytes.byteLength - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.byteLength - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.byteLength);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Unpickles one object from `input`, stopping at its STOP opcode. */
export function unpickle(input: ByteInput, persistentLoad: PersistentLoad): PyValue {
  const where = input.where;
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  const bad = (msg: string): never => fail('BAD_PICKLE', `${where}: ${msg} (at byte ${input.position})`);

  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined) bad('pop from an empty stack');
    if (v === MARK) bad('a mark where a value was expected');
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) bad('the stack is empty');
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) bad('no mark to pop to');
    // stack[m] is the MARK itself; marks nest, so no other MARK lies above it.
    return stack.splice(m!).slice(1) as PyValue[];
  };
  const line = (): string => {
    // Text opcodes (protocol 0) end at a newline; 64 KiB is far beyond any real one.
    const chars: number[] = [];
    for (;;) {
      const b = input.byte();
      if (b === 0x0a) break;
      chars.push(b);
      if (chars.length > 65536) bad('a text line longer than 64 KiB');
    }
    return latin1.decode(Uint8Array.from(chars));
  };
  const u32 = (): number => {
    const b = input.bytes(4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16)) + b[3]! * 0x1000000;
  };
  const u64 = (): number => {
    const lo = u32();
    const hi = u32();
    const n = hi * 0x100000000 + lo;
    if (!Number.isSafeInteger(n)) bad(`a length of ${hi}*2^32+${lo} bytes`);
    return n;
  };
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) bad(`memo entry ${i} was never stored`);
    return memo.get(i)!;
  };
  let work = 0;
  const charge = (values: readonly PyValue[]): void => {
    work += values.length;
    for (const v of values) work += shallowSize(v);
    if (work > WORK_BASE + WORK_PER_BYTE * input.position)
      fail('LIMIT', `${where}: the pickle's calls copy ${work} elements by byte ${input.position}, far more than it holds (a pickle bomb)`);
  };
  /** REDUCE, NEWOBJ, INST, OBJ: an allowlisted handler, charged for what it will walk. */
  const call = (fn: PyValue, args: PyValue[]): PyValue => {
    charge(args);
    return callGlobal(fn, args);
  };
  const memoPut = (i: number): void => {
    if (!Number.isSafeInteger(i) || i < 0) bad(`memo index ${i}`);
    memo.set(i, top());
  };
  const setItems = (dict: PyValue, items: PyValue[]) => {
    if (!(dict instanceof PyDict)) bad(`SETITEM on a ${typeName(dict)}`);
    if (items.length % 2) bad('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (dict as PyDict).entries.set(items[i]!, items[i + 1]!);
  };
  const append = (list: PyValue, items: PyValue[]) => {
    if (!Array.isArray(list)) bad(`APPEND to a ${typeName(list)}`);
    for (const v of items) (list as PyValue[]).push(v);
  };
  const textInt = (s: string): number | bigint | boolean => {
    if (s === '01') return true;
    if (s === '00') return false;
    const t = s.endsWith('L') ? s.slice(0, -1) : s;
    if (!/^[-+]?\d{1,4096}$/.test(t)) bad(`an integer literal '${s.slice(0, 40)}'`);
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const quoted = (s: string): string => {
    // STRING's argument is a Python repr: 'abc' or "abc", with backslash escapes.
    const q = s[0];
    if ((q !== "'" && q !== '"') || s[s.length - 1] !== q || s.length < 2) bad('a STRING argument without quotes');
    return s
      .slice(1, -1)
      .replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) =>
        e[0] === 'x'
          ? String.fromCharCode(parseInt(e.slice(1), 16))
          : (({ n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? `\\${e}`),
      );
  };

  for (;;) {
    const op = input.byte();
    switch (op) {
      case OP.PROTO: {
        const v = input.byte();
        if (v > 5) bad(`pickle protocol ${v} (this reader knows 0 to 5)`);
        break;
      }
      case OP.FRAME: {
        const n = u64();
        if (n > input.remaining) bad(`a frame of ${n} bytes with ${input.remaining} left`);
        break;
      }
      case OP.STOP: {
        const v = pop();
        if (stack.length || marks.length) bad('values left on the stack at STOP');
        return v;
      }
      case OP.MARK:
        marks.push(stack.length);
        stack.push(MARK);
        break;
      case OP.POP:
        if (stack[stack.length - 1] === MARK) popMark();
        else pop();
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        stack.push(top());
        break;

      // ---- scalars
      case OP.NONE:
        stack.push(null);
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.BININT: {
        const b = input.bytes(4);
        stack.push(b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24));
        break;
      }
      case OP.BININT1:
        stack.push(input.byte());
        break;
      case OP.BININT2: {
        const b = input.bytes(2);
        stack.push(b[0]! | (b[1]! << 8));
        break;
      }
      case OP.LONG1: {
        const n = input.byte();
        stack.push(decodeLong(input.bytes(n)));
        break;
      }
      case OP.LONG4: {
        const n = u32();
        if (n > MAX_LONG_BYTES) fail('LIMIT', `${where}: an integer of ${n} bytes (limit ${MAX_LONG_BYTES})`);
        stack.push(decodeLong(input.bytes(n)));
        break;
      }
      case OP.INT:
        stack.push(textInt(line()));
        break;
      case OP.LONG:
        stack.push(textInt(line()));
        break;
      case OP.BINFLOAT: {
        const b = input.bytes(8);
        stack.push(new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false));
        break;
      }
      case OP.FLOAT: {
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/^[-+]?nan$/i.test(s)) bad(`a float literal '${s.slice(0, 40)}'`);
        stack.push(v);
        break;
      }

      // ---- strings and bytes
      case OP.BINUNICODE:
        stack.push(decodeUtf8(input.bytes(u32()), where));
        break;
      case OP.SHORT_BINUNICODE:
        stack.push(decodeUtf8(input.bytes(input.byte()), where));
        break;
      case OP.BINUNICODE8:
        stack.push(decodeUtf8(input.bytes(u64()), where));
        break;
      case OP.UNICODE:
        stack.push(line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
        break;
      case OP.BINSTRING:
      case OP.SHORT_BINSTRING: {
        // Python 2 str: torch.load decodes it as UTF-8 (its default encoding), latin1 if that fails.
        const b = input.bytes(op === OP.BINSTRING ? u32() : input.byte());
        let s: string;
        try {
          s = utf8.decode(b);
        } catch {
          s = latin1.decode(b);
        }
        stack.push(s);
        break;
      }
      case OP.STRING:
        stack.push(quoted(line()));
        break;
      case OP.BINBYTES:
        stack.push(input.bytes(u32()).slice());
        break;
      case OP.SHORT_BINBYTES:
        stack.push(input.bytes(input.byte()).slice());
        break;
      case OP.BINBYTES8:
      case OP.BYTEARRAY8:
        stack.push(input.bytes(u64()).slice());
        break;
      case OP.NEXT_BUFFER:
      case OP.READONLY_BUFFER:
        return fail('REFUSED', `refused: out-of-band pickle buffers (${opName(op)}) are not allowed in a weights file`);

      // ---- containers
      case OP.EMPTY_LIST:
        stack.push([]);
        break;
      case OP.EMPTY_DICT:
        stack.push(new PyDict());
        break;
      case OP.EMPTY_TUPLE:
        stack.push(new PyTuple([]));
        break;
      case OP.EMPTY_SET:
        stack.push(new PySet([], false));
        break;
      case OP.TUPLE1:
        stack.push(new PyTuple([pop()]));
        break;
      case OP.TUPLE2: {
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case OP.TUPLE3: {
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case OP.TUPLE:
        stack.push(new PyTuple(popMark()));
        break;
      case OP.LIST:
        stack.push(popMark());
        break;
      case OP.DICT: {
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case OP.FROZENSET:
        stack.push(new PySet(popMark(), true));
        break;
      case OP.APPEND: {
        const v = pop();
        append(top(), [v]);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        append(top(), items);
        break;
      }
      case OP.SETITEM: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case OP.ADDITEMS: {
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet) || s.frozen) bad(`ADDITEMS on a ${typeName(s)}`);
        // A loop, not push(...items): spreading 200k arguments overflows the stack (a RangeError).
        for (const v of items) (s as PySet).items.push(v);
        break;
      }

      // ---- memo
      case OP.BINPUT:
        memoPut(input.byte());
        break;
      case OP.LONG_BINPUT:
        memoPut(u32());
        break;
      case OP.PUT:
        memoPut(Number(line()));
        break;
      case OP.MEMOIZE:
        memoPut(memo.size);
        break;
      case OP.BINGET:
        stack.push(memoGet(input.byte()));
        break;
      case OP.LONG_BINGET:
        stack.push(memoGet(u32()));
        break;
      case OP.GET:
        stack.push(memoGet(Number(line())));
        break;

      // ---- globals and objects: every one through the allowlist
      case OP.GLOBAL: {
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') bad('STACK_GLOBAL with non-string names');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const fn = pop();
        if (!(args instanceof PyTuple)) bad(`REDUCE with ${typeName(args)} arguments`);
        stack.push(call(fn, (args as PyTuple).items));
        break;
      }
      case OP.NEWOBJ: {
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple)) bad(`NEWOBJ with ${typeName(args)} arguments`);
        stack.push(call(cls, (args as PyTuple).items));
        break;
      }
      case OP.NEWOBJ_EX: {
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple) || !(kwargs instanceof PyDict)) bad('NEWOBJ_EX with malformed arguments');
        if ((kwargs as PyDict).entries.size) bad('NEWOBJ_EX with keyword arguments');
        stack.push(call(cls, (args as PyTuple).items));
        break;
      }
      case OP.INST: {
        const cls = resolveGlobal(line(), line());
        stack.push(call(cls, popMark()));
        break;
      }
      case OP.OBJ: {
        const items = popMark();
        if (!items.length) bad('OBJ without a class');
        stack.push(call(items[0]!, items.slice(1)));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        charge(state instanceof PyTuple ? state.items : [state]); // a (dict, slots) pair: both dicts are walked
        buildObject(top(), state);
        break;
      }
      case OP.EXT1:
      case OP.EXT2:
      case OP.EXT4:
        return fail('REFUSED', `refused: pickle extension codes (${opName(op)}) are not allowed in a weights file`);

      // ---- persistent ids: the storages
      case OP.BINPERSID:
        stack.push(persistentLoad(pop()));
        break;
      case OP.PERSID:
        stack.push(persistentLoad(line()));
        break;

      default:
        bad(`unknown opcode ${opName(op)}`);
    }
  }
}
