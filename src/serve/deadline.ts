/**
 * A request's deadline over one of its steps (decoding, waiting for the model).
 *
 * The step's promise is always observed, even when the deadline has already passed or wins
 * the race: the batcher still settles a submitted item later (it rejects items whose deadline
 * passed while queued), and an unobserved rejection would end the process.
 *
 * @example
 *   const outcome = await withDeadline(ticket.submit(item, { deadline }), deadline);
 */
import { RequestTimeoutError } from './batcher.js';

/** The promise's value, or a RequestTimeoutError when `deadline` (a performance.now() time) comes first. */
export function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T> {
  p.catch(() => {}); // a late rejection after the deadline answered is expected, not an error
  const left = deadline - performance.now();
  if (left <= 0) return Promise.reject(new RequestTimeoutError('the request timed out'));
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new RequestTimeoutError('the request timed out')), left);
    }),
  ]).finally(() => clearTimeout(timer));
}
