/**
 * Deterministic release of native memory. Every tensor created inside `scope(fn)` is freed
 * when `fn` returns, except the tensors it returns (which move to the enclosing scope) and
 * those marked with `keep()` (which no scope owns any more). Tensors made outside any scope live until `dispose()` (or
 * `using`), with the garbage collector only as a safety net.
 *
 * @example
 *   for (const batch of batches) {
 *     const loss = scope(() => {
 *       const l = crossEntropy(model.forward(batch.x), batch.y);
 *       l.backward();
 *       return l.item(); // numbers escape; every tensor of the step is freed here
 *     });
 *   }
 */
import { native, type Handle } from '../native/binding.js';

/** What a scope tracks: anything with a native handle. */
export interface Disposable {
  readonly handle: Handle;
  /** Set by keep(): survives the scope that created it. */
  kept?: boolean;
  /** Registered with the GC safety net (no scope owns it). */
  orphan?: boolean;
  /** Already freed by dispose(): a scope has nothing left to free. */
  freed?: boolean;
}

const stack: Disposable[][] = [];

// The safety net for tensors that no scope owns: freed when the JS object is collected.
const orphans = new FinalizationRegistry<Handle>((h) => native.dispose(h));

// dispose() defers the native free into this list, which the addon drains at the start of
// its next call (native/src/shim.h): one native call per tiny operation instead of two.
// Nothing allocates native memory without a native call, so memory comes back just as soon.
const PENDING_CAPACITY = 1024;
const pending = new Float64Array(PENDING_CAPACITY + 1);
native.setPendingFrees(pending);

/** Frees a handle before the addon's next call (Tensor.dispose's fast path). */
export function freeSoon(h: Handle): void {
  let n = pending[0]!;
  if (n === PENDING_CAPACITY) {
    native.flushFrees();
    n = 0;
  }
  pending[n + 1] = h;
  pending[0] = n + 1;
}

/** Registers a new tensor with the innermost scope (or the GC safety net). */
export function track(t: Disposable): void {
  const top = stack[stack.length - 1];
  if (top) top.push(t);
  else adopt(t);
}

// The safety net costs a weak reference per tensor, so only scope-less tensors pay for it.
function adopt(t: Disposable): void {
  t.orphan = true;
  orphans.register(t, t.handle, t);
}

/** Called by Tensor.dispose(): the tensor is freed now, so the safety net forgets it. */
export function untrack(t: Disposable): void {
  if (t.orphan) {
    t.orphan = false;
    orphans.unregister(t);
  }
}

/** Depth of nested scopes (0 outside any scope). */
export function scopeDepth(): number {
  return stack.length;
}

function collect(value: unknown, into: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if ('handle' in value && typeof (value as Disposable).handle === 'number') {
    into.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, into, depth + 1);
  else if (value instanceof Map) for (const v of value.values()) collect(v, into, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, into, depth + 1);
}

/**
 * Runs `fn` and frees every tensor it created, except those in its result (a tensor, or
 * arrays/maps/plain objects holding tensors) and those marked with `keep()`.
 * `fn` must be synchronous: tensors created after an `await` would escape the scope.
 */
export function scope<T>(fn: () => T): T {
  const mine: Disposable[] = [];
  stack.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    release(mine, new Set());
    throw e;
  }
  stack.pop();
  if (result instanceof Promise) {
    release(mine, new Set());
    throw new TypeError('scope() needs a synchronous function: tensors made after an await would escape it');
  }
  const survivors = new Set<Disposable>();
  collect(result, survivors);
  release(mine, survivors);
  return result;
}

function release(mine: Disposable[], survivors: Set<Disposable>): void {
  const free: Handle[] = [];
  for (const t of mine) {
    if (t.kept) {
      if (!t.orphan) adopt(t); // owned by no scope from now on
    } else if (survivors.has(t)) {
      track(t); // a result: hand over to the enclosing scope
    } else if (!t.freed) {
      t.freed = true;
      free.push(t.handle);
    }
  }
  if (free.length) native.dispose(free);
}

/** Marks tensors to survive every enclosing scope: the caller now owns them (dispose()). */
export function keep<T extends Disposable | Disposable[]>(t: T): T {
  for (const d of Array.isArray(t) ? t : [t]) d.kept = true;
  return t;
}

/** Number of tensors alive in native memory (for leak checks). */
export function liveTensors(): number {
  return native.liveTensors();
}
