/**
 * The class routes: GET /v1/classes (trained and enrolled), POST /v1/classes (enroll a class
 * from a few photos, no training: docs/enrollment.md), DELETE /v1/classes/{name} (remove an
 * enrolled class). Changes take effect for the next micro-batch without a restart — the model
 * swaps its class set between batches, so every answer comes from the old set or the new one
 * — and survive a restart (the sidecar beside the checkpoint).
 *
 * Who may change the classes: with --api-key, whoever has the key (the server's own check);
 * without one, only clients on this machine (127.0.0.1 / ::1), since a server without a key
 * is a local one. A refused change changes nothing.
 *
 * POST takes `multipart/form-data` (a field `name`, optional `parents` "Make/Model", photos as
 * files in any file field) or JSON `{ "name", "photos": ["<base64>", …], "parents": [...] }`.
 *
 * @example
 *   curl -F name="Audi Q7 SUV 2012" -F photos=@q7-1.jpg -F photos=@q7-2.jpg localhost:8080/v1/classes
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ImageDecodeError } from '../data/decode/decode-image.js';
import { EnrollmentError } from '../enrollment/errors.js';
import { MAX_CORRECTION, MAX_ENROLL_PHOTOS, checkClassName, checkPhotoCount } from '../enrollment/limits.js';
import type { DecodedImage } from '../pipeline/served-model.js';
import { HttpError } from './errors.js';
import { decodeBase64 } from './request-input.js';
import type { RouteContext } from './routes.js';
import { classesSchema, deleteClassSchema, enrollSchema } from './schemas.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** An EnrollmentError as the HTTP error its code stands for. */
function enrollmentFailure(e: EnrollmentError): HttpError {
  const status = { invalid: 400, exists: 409, 'not-found': 404, 'too-many': 413, unsupported: 409, trained: 409 }[e.code];
  return new HttpError(status, e.code === 'invalid' ? 'bad_enrollment' : e.code.replace('-', '_'), e.message);
}

/** Only with the API key (checked by the server's hook) or, without one, from this machine. */
function checkMayChange(ctx: RouteContext, request: FastifyRequest): void {
  if (ctx.options.apiKey) return;
  if (!LOOPBACK.has(request.ip))
    throw new HttpError(403, 'forbidden', 'changing the classes needs the server to run with --api-key, or a client on the same machine');
}

interface EnrollmentRequest {
  name: unknown;
  parents?: string[];
  correction?: number;
  photos: Buffer[];
}

/** The name, parents and photo bytes of a POST, in either form, with the limits applied while reading. */
async function readEnrollment(ctx: RouteContext, request: FastifyRequest): Promise<EnrollmentRequest> {
  const type = String(request.headers['content-type'] ?? '').toLowerCase();
  const maxTotal = ctx.options.bodyLimit * 4;
  const parentsOf = (v: unknown): string[] | undefined => {
    if (v === undefined || v === '') return undefined;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((s) => s.trim());
    if (typeof v === 'string') return v.split('/').map((s) => s.trim());
    throw new HttpError(400, 'bad_enrollment', '\'parents\' must be "Make/Model" or an array of names');
  };
  const correctionOf = (v: unknown): number | undefined => {
    if (v === undefined || v === '') return undefined;
    const n = typeof v === 'number' ? v : Number(v);
    if (!(n >= 0 && n <= MAX_CORRECTION))
      throw new HttpError(400, 'bad_enrollment', `'correction' must be a number in [0, ${MAX_CORRECTION}], got ${JSON.stringify(v)}`);
    return n;
  };
  if (type.startsWith('multipart/form-data')) {
    const photos: Buffer[] = [];
    const fields: Record<string, string> = {};
    let total = 0;
    // Limits per request: one file more than allowed, so "too many" is told apart from "just enough".
    for await (const part of request.parts({ limits: { files: MAX_ENROLL_PHOTOS + 1, fields: 10, fieldSize: 16 * 1024, fileSize: ctx.options.bodyLimit } })) {
      if (part.type === 'file') {
        if (photos.length >= MAX_ENROLL_PHOTOS) {
          part.file.resume();
          throw new HttpError(
            413,
            'too_many',
            `more than ${MAX_ENROLL_PHOTOS} photos; an enrollment takes at most ${MAX_ENROLL_PHOTOS} (more photos call for training)`,
          );
        }
        const bytes = await part.toBuffer();
        total += bytes.length;
        if (total > maxTotal) throw new HttpError(413, 'body_too_large', `the photos add up to more than ${maxTotal} bytes`);
        photos.push(bytes);
      } else fields[part.fieldname] = String(part.value);
    }
    return { name: fields.name, parents: parentsOf(fields.parents), correction: correctionOf(fields.correction), photos };
  }
  if (type.startsWith('application/json')) {
    const body = request.body as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new HttpError(400, 'bad_json', 'the JSON body must be an object: {"name", "photos": [base64…]}');
    const list = body.photos;
    if (list !== undefined && !Array.isArray(list)) throw new HttpError(400, 'bad_enrollment', '"photos" must be an array of base64 strings');
    const photos = (list ?? []) as unknown[];
    if (photos.length > MAX_ENROLL_PHOTOS) throw new HttpError(413, 'too_many', `${photos.length} photos; an enrollment takes at most ${MAX_ENROLL_PHOTOS}`);
    return {
      name: body.name,
      parents: parentsOf(body.parents),
      correction: correctionOf(body.correction),
      photos: photos.map((p, i) => {
        if (typeof p !== 'string') throw new HttpError(400, 'bad_enrollment', `photo ${i + 1} is not a base64 string`);
        return decodeBase64(p);
      }),
    };
  }
  throw new HttpError(415, 'unsupported_media_type', 'send multipart/form-data (a field name, photos as files) or JSON {"name", "photos": [base64…]}');
}

/** Registers the class routes on `app`. */
export function registerClassRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/v1/classes', { schema: classesSchema }, async () => {
    const enrolled = ctx.clf.enrolledClasses?.() ?? [];
    const all = ctx.clf.classes;
    return {
      trained: all.slice(0, all.length - enrolled.length),
      enrolled: enrolled.map((c) => ({ name: c.name, photos: c.photos, enrolled_at: c.enrolledAt, ...(c.parents && { parents: c.parents }) })),
      num_classes: all.length,
    };
  });

  // JSON carries base64 (4/3) of up to four bodies' worth of photos; multipart is limited while read.
  app.post('/v1/classes', { schema: enrollSchema, bodyLimit: Math.ceil(ctx.options.bodyLimit * 4 * 1.37) + 4096 }, async (request, reply) => {
    checkMayChange(ctx, request);
    if (!ctx.clf.enroll)
      throw new HttpError(409, 'unsupported', `the ${ctx.clf.info.runtime} runtime cannot enroll classes; serve the checkpoint (--runtime libtorch)`);
    const t0 = performance.now();
    try {
      const { name, parents, correction, photos } = await readEnrollment(ctx, request);
      // The cheap checks before any decoding; the model checks again when it commits.
      const enrolledNames = (ctx.clf.enrolledClasses?.() ?? []).map((c) => c.name);
      const label = checkClassName(name, ctx.clf.classes.slice(0, ctx.clf.classes.length - enrolledNames.length), enrolledNames);
      checkPhotoCount(photos.length);
      const images: DecodedImage[] = [];
      for (const [i, bytes] of photos.entries()) {
        try {
          images.push(await ctx.clf.decode(bytes));
        } catch (e) {
          if (e instanceof ImageDecodeError)
            throw new HttpError(
              e.reason === 'too-large' ? 413 : 400,
              'bad_image',
              `photo ${i + 1} could not be decoded: ${e.message.replace(/^<[^>]*>: /, '')}`,
              { reason: e.reason },
            );
          throw e;
        }
      }
      const photoSha256 = photos.map((b) => createHash('sha256').update(b).digest('hex'));
      const c = await ctx.clf.enroll(label, images, { parents, photoSha256, ...(correction !== undefined && { correction }) });
      reply.code(201);
      return {
        name: c.name,
        photos: c.photos,
        enrolled_at: c.enrolledAt,
        ...(c.parents && { parents: c.parents }),
        num_classes: ctx.clf.classes.length,
        timing_ms: { total: Math.round((performance.now() - t0) * 100) / 100 },
      };
    } catch (e) {
      if (e instanceof EnrollmentError || (e as Error).name === 'EnrollmentError') throw enrollmentFailure(e as EnrollmentError);
      if ((e as Error).name === 'HierarchyError' || (e as Error).name === 'UsageError') throw new HttpError(400, 'bad_enrollment', (e as Error).message);
      const code = (e as { code?: string }).code;
      if (code === 'FST_FILES_LIMIT' || code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_PARTS_LIMIT')
        throw new HttpError(413, 'too_many', `the upload is over a limit (at most ${MAX_ENROLL_PHOTOS} photos of ${ctx.options.bodyLimit} bytes each)`);
      throw e;
    }
  });

  app.delete<{ Params: { name: string } }>('/v1/classes/:name', { schema: deleteClassSchema }, async (request) => {
    checkMayChange(ctx, request);
    if (!ctx.clf.removeClass) throw new HttpError(409, 'unsupported', `the ${ctx.clf.info.runtime} runtime cannot enroll or remove classes`);
    try {
      await ctx.clf.removeClass(request.params.name);
    } catch (e) {
      if (e instanceof EnrollmentError || (e as Error).name === 'EnrollmentError') throw enrollmentFailure(e as EnrollmentError);
      throw e;
    }
    return { removed: request.params.name, num_classes: ctx.clf.classes.length };
  });
}
