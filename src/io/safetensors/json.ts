/**
 * A strict JSON parser for safetensors headers. `JSON.parse` cannot serve here: it keeps
 * the last of two duplicate keys without a word, turns `2.0` and `2e0` into the integer 2
 * (the reference's serde_json rejects both as offsets or sizes), and rounds integers past
 * 2^53 silently. This parser keeps each number's source text, reports duplicate keys, and
 * caps nesting depth (at serde_json's 128) so a hostile header of a million `[` cannot
 * overflow the stack.
 *
 * @example
 *   const v = parseJson('{"a": {"shape": [2, 3]}}');   // objects come back as Maps
 *   (v as JsonObject).get('a');
 */
import { SafetensorsError } from './error.js';

/** A JSON number, kept as written so integer-ness and size can be judged exactly. */
export class JsonNumber {
  constructor(readonly text: string) {}
  /** The value if it is written as a plain non-negative integer no larger than 2^53 - 1, else undefined. */
  get safeUint(): number | undefined {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(this.text)) return undefined;
    const v = Number(this.text);
    return Number.isSafeInteger(v) ? v : undefined;
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
/** Objects parse to Maps: no prototype keys (`__proto__`), and the writer's key order kept. */
export type JsonObject = Map<string, JsonValue>;

const MAX_DEPTH = 128;

/** Parses one JSON value followed only by whitespace; throws SafetensorsError on anything else. */
export function parseJson(text: string): JsonValue {
  let i = 0;

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

  const number = (): JsonNumber => {
    const m = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    m.lastIndex = i;
    const found = m.exec(text);
    if (!found) fail('invalid number');
    i += found![0].length;
    return new JsonNumber(found![0]);
  };

  const string = (): string => {
    i++; // the opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const unit = hex4();
          if (unit >= 0xdc00 && unit <= 0xdfff) fail('lone low surrogate in \\u escape');
          if (unit >= 0xd800 && unit <= 0xdbff) {
            // A high surrogate must pair with a low one: names must be valid Unicode.
            if (text[i] !== '\\' || text[i + 1] !== 'u') fail('lone high surrogate in \\u escape');
            i += 2;
            const low = hex4();
            if (low < 0xdc00 || low > 0xdfff) fail('lone high surrogate in \\u escape');
            out += String.fromCharCode(unit, low);
          } else {
            out += String.fromCharCode(unit);
          }
          break;
        }
        default:
          i -= 2;
          fail('invalid escape');
      }
      start = i;
    }
  };

  const hex4 = (): number => {
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('invalid \\u escape');
    i += 4;
    return parseInt(h, 16);
  };

  const value = (depth: number): JsonValue => {
    skipSpace();
    const c = text[i];
    switch (c) {
      case '{': return object(depth + 1);
      case '[': return array(depth + 1);
      case '"': return string();
      case 't': return literal('true', true);
      case 'f': return literal('false', false);
      case 'n': return literal('null', null);
      case undefined: return fail('unexpected end');
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return number();
        return fail(`unexpected '${c}'`);
    }
  };

  const object = (depth: number): JsonObject => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    i++;
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
      const key = string();
      if (out.has(key)) {
        i = keyAt;
        fail(`duplicate key ${JSON.stringify(key).slice(0, 100)}`, 'DUPLICATE_KEY');
      }
      skipSpace();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      out.set(key, value(depth));
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === '}') {
        i++;
        return out;
      } else fail("expected ',' or '}'");
    }
  };

  const array = (depth: number): JsonValue[] => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    i++;
    const out: JsonValue[] = [];
    skipSpace();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth));
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === ']') {
        i++;
        return out;
      } else fail("expected ',' or ']'");
    }
  };

  const result = value(0);
  skipSpace();
  if (i < text.length) fail('unexpected text after the JSON value');
  return result;
}
