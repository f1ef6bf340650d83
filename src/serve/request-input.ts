/**
 * The image and options of a request, in any of the three accepted forms:
 * - the raw image as the body (`Content-Type: image/*` or `application/octet-stream`),
 *   options in the query string (`?top_k=3&attention=true&claimed=...`);
 * - `multipart/form-data` with the image in the field `image` and options as fields;
 * - JSON `{ "image": "<base64 or data URL>", "top_k": 3, "attention": true, "claimed": "..." }`.
 * Query-string options apply to every form; body fields win over them.
 *
 * @example
 *   const { image, topK, attention, claimed } = await readRequestInput(request);
 */
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

export interface RequestInput {
  image: Buffer;
  topK: number;
  attention: boolean;
  claimed?: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Base64 (or a data URL) to bytes, refusing anything that is not base64. */
export function decodeBase64(text: string): Buffer {
  const body = text.startsWith('data:') ? text.slice(text.indexOf(',') + 1) : text;
  const clean = body.replace(/\s+/g, '');
  if (!clean.length) throw new HttpError(400, 'empty_image', 'the image field is empty');
  if (clean.length % 4 === 1 || !BASE64.test(clean.replace(/-/g, '+').replace(/_/g, '/')))
    throw new HttpError(400, 'bad_base64', 'the image field is not valid base64');
  return Buffer.from(clean, 'base64');
}

function parseTopK(v: unknown, classes: number): number {
  if (v === undefined || v === '') return Math.min(5, classes);
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new HttpError(400, 'bad_option', `top_k must be a positive integer, got ${JSON.stringify(v)}`);
  return Math.min(n, classes);
}

function parseBool(v: unknown, name: string): boolean {
  if (v === undefined || v === '') return false;
  if (v === true || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0') return false;
  throw new HttpError(400, 'bad_option', `${name} must be true or false, got ${JSON.stringify(v)}`);
}

function fieldValue(v: unknown): unknown {
  // @fastify/multipart fields are { value } objects (or arrays of them).
  if (Array.isArray(v)) return fieldValue(v[0]);
  if (v && typeof v === 'object' && 'value' in v) return (v as { value: unknown }).value;
  return v;
}

export async function readRequestInput(request: FastifyRequest, classes: number): Promise<RequestInput> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const type = String(request.headers['content-type'] ?? '').toLowerCase();
  let image: Buffer;
  let fields: Record<string, unknown> = {};
  if (type.startsWith('multipart/form-data')) {
    const part = await request.file();
    if (!part) throw new HttpError(400, 'missing_image', "the multipart body has no file; send the image in the field 'image'");
    if (part.fieldname !== 'image') throw new HttpError(400, 'missing_image', `the multipart file is in the field '${part.fieldname}'; send it as 'image'`);
    image = await part.toBuffer();
    fields = Object.fromEntries(Object.entries(part.fields).map(([k, v]) => [k, fieldValue(v)]));
  } else if (type.startsWith('application/json')) {
    const body = request.body as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'bad_json', 'the JSON body must be an object with an image field');
    if (typeof body.image !== 'string') throw new HttpError(400, 'missing_image', 'the JSON body needs "image": a base64 string');
    image = decodeBase64(body.image);
    fields = body;
  } else {
    image = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  }
  if (!image.length) throw new HttpError(400, 'empty_image', 'the request carries no image (empty body)');
  const pick = (k: string) => (fields[k] !== undefined ? fields[k] : query[k]);
  const claimed = pick('claimed');
  return {
    image,
    topK: parseTopK(pick('top_k'), classes),
    attention: parseBool(pick('attention'), 'attention'),
    claimed: claimed === undefined ? undefined : String(claimed),
  };
}
