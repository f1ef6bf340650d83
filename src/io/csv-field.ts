/**
 * One CSV field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break,
 * its quotes doubled. Every CSV finegrain writes (predictions, label suggestions) goes through it.
 *
 * @example
 *   csvField('Audi S4, 2012');   // '"Audi S4, 2012"'
 */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
