/**
 * The server's client errors: an HTTP status, a stable machine-readable `error` code, and a
 * message a person can act on. Every failure a request can cause maps to one of these, so no
 * input produces a 500 or takes the process down.
 *
 * @example
 *   throw new HttpError(400, 'bad_image', 'not an image (unsupported image format)', { reason: 'not-an-image' });
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.extra };
  }
}
