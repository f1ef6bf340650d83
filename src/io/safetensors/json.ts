/**
 * A strict JSON parser for safetensors headers. `JSON.parse` cannot serve here: it keeps
 * the last of two duplicate keys without a word, turns `2.0` and `2e0` into the integer 2
 * (the reference's serde_json rejects both as offsets or sizes), and rounds integers past
 * 2^53 silently. This parser reports duplicate keys, returns plain non-negative integer
 * literals as numbers and every other number as its source text, caps nesting depth (at
 * serde_json's 128) so a hostile header of a million `[` cannot overflow the stack, and can
 * skip values the caller does not need (checking their syntax, allocating nothing), so a
 * 100 MB array in an unknown field costs a scan, not gigabytes of objects.
 *
 * @example
 *   const v = parseJson('{"a": {"shape": [2, 3]}}') as JsonObject;   // objects come back as Maps
 *   v.get('a');
 */
import { SafetensorsError } from './error.js';

/** A JSON number other than a plain integer literal in [0, 2^53): `-1`, `1.0`, `1e3`, `2e400`... */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/** `number` is only ever a non-negative integer literal below 2^53, read exactly. */
export type JsonValue = null | boolean | string | number | JsonNumber | JsonValue[] | JsonObject;
/** Objects parse to Maps: no prototype keys (`__proto__`), and the writer's key order kept. */
export type JsonObject = Map<string, JsonValue>;

/** Stands for a value that `skip` said not to build (its syntax was still checked). */
export const SKIPPED = Symbol('skipped');

export interface ParseJsonOptions {
  /** Called with the keys leading to each object member; true skips building its value. */
  skip?: (path: readonly string[]) => boolean;
}

const MAX_DEPTH = 128;

/** Parses one JSON value followed only by whitespace; throws SafetensorsError on anything else. */
export function parseJson(text: string, options: ParseJsonOptions = {}): JsonValue {
  let i = 0;
  const path: string[] = [];

  const fail = (what: string, code: 'INVALID_JSON' | 'DUPLICATE_KEY' = 'INVALID_JSON'): never => {
    throw new SafetensorsError(code, `header JSON: ${what} at character ${i}`);
  };

  const skipSpace = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };

  const literal = (word: string, value: JsonValue): JsonValue => {
    if (!text.startsWith(word, i)) fail(`unexpected '${text[i]}'`);
    i += word.length;
    return value;
  };

  const digits = (): number => {
    const from = i;
    for (let c = text.charCodeAt(i); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++i));
    return i - from;
  };

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, scanned by hand: hostile headers hold
  // tens of millions of numbers, and a regex per number is several times slower.
  const number = (build: boolean): JsonValue => {
    const from = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    const lead = text.charCodeAt(i);
    const n = digits();
    if (n === 0 || (lead === 0x30 && n > 1)) fail('invalid number');
    const integerEnd = i;
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (digits() === 0) fail('invalid number');
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (digits() === 0) fail('invalid number');
    }
    if (!build) return null;
    const s = text.slice(from, i);
    if (integerEnd === i && text.charCodeAt(from) !== 0x2d && n <= 16) {
      const v = Number(s);
      if (Number.isSafeInteger(v)) return v;
    }
    return new JsonNumber(s);
  };

  const hex4 = (): number => {
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('invalid \\u escape');
    i += 4;
    return parseInt(h, 16);
  };

  const string = (build: boolean): string => {
    i++; // the opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        if (build) out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      if (build) out += text.slice(start, i);
      const e = text[i + 1];
      i += 2;
      let add: string;
      switch (e) {
        case '"':
          add = '"';
          break;
        case '\\':
          add = '\\';
          break;
        case '/':
          add = '/';
          break;
        case 'b':
          add = '\b';
          break;
        case 'f':
          add = '\f';
          break;
        case 'n':
          add = '\n';
          break;
        case 'r':
          add = '\r';
          break;
        case 't':
          add = '\t';
          break;
        case 'u': {
          const unit = hex4();
          if (unit >= 0xdc00 && unit <= 0xdfff) fail('lone low surrogate in \\u escape');
          if (unit >= 0xd800 && unit <= 0xdbff) {
            // A high surrogate must pair with a low one: names must be valid Unicode.
            if (text[i] !== '\\' || text[i + 1] !== 'u') fail('lone high surrogate in \\u escape');
            i += 2;
            const low = hex4();
            if (low < 0xdc00 || low > 0xdfff) fail('lone high surrogate in \\u escape');
            add = String.fromCharCode(unit, low);
          } else {
            add = String.fromCharCode(unit);
          }
          break;
        }
        default:
          i -= 2;
          return fail('invalid escape');
      }
      if (build) out += add;
      start = i;
    }
  };

  const value = (depth: number, build: boolean): JsonValue => {
    skipSpace();
    const c = text[i];
    switch (c) {
      case '{':
        return object(depth + 1, build);
      case '[':
        return array(depth + 1, build);
      case '"':
        return string(build);
      case 't':
        return literal('true', true);
      case 'f':
        return literal('false', false);
      case 'n':
        return literal('null', null);
      case undefined:
        return fail('unexpected end');
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return number(build);
        return fail(`unexpected '${c}'`);
    }
  };

  const object = (depth: number, build: boolean): JsonObject => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    i++;
    // Keys are kept even when values are not, to catch duplicates everywhere.
    const out: JsonObject = new Map();
    skipSpace();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      skipSpace();
      if (text[i] !== '"') fail('expected a string key');
      const keyAt = i;
      const key = string(true);
      if (out.has(key)) {
        i = keyAt;
        fail(`duplicate key ${JSON.stringify(key).slice(0, 100)}`, 'DUPLICATE_KEY');
      }
      skipSpace();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      path.push(key);
      const keep = build && !options.skip?.(path);
      const v = value(depth, keep);
      path.pop();
      out.set(key, keep ? v : (SKIPPED as unknown as JsonValue));
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === '}') {
        i++;
        return out;
      } else fail("expected ',' or '}'");
    }
  };

  const array = (depth: number, build: boolean): JsonValue[] => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    i++;
    const out: JsonValue[] = [];
    skipSpace();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      const v = value(depth, build);
      if (build) out.push(v);
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === ']') {
        i++;
        return out;
      } else fail("expected ',' or ']'");
    }
  };

  const result = value(0, true);
  skipSpace();
  if (i < text.length) fail('unexpected text after the JSON value');
  return result;
}
