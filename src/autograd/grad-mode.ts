/**
 * Switching gradient recording off and on for a block.
 *
 * @example
 *   noGrad(() => param.sub_(grad.mul(lr)));   // an update that autograd must not record
 */
import { native } from '../native/binding.js';

function withGradMode<T>(on: boolean, fn: () => T): T {
  const previous = native.setGradEnabled(on);
  try {
    const result = fn();
    if (result instanceof Promise) throw new TypeError('noGrad()/enableGrad() need a synchronous function');
    return result;
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs `fn` without recording operations for autograd (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with gradient recording on, even inside noGrad (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/**
 * Whether operations are being recorded for autograd right now: false inside `noGrad`, true by
 * default and inside `enableGrad`.
 */
export function isGradEnabled(): boolean {
  return native.gradEnabled();
}

/** Sets gradient recording for the rest of the program; returns the previous state. */
export function setGradEnabled(on: boolean): boolean {
  return native.setGradEnabled(on);
}
