/** Functions over several tensors: joining and choosing. */
import { aten } from '../native/aten.js';
import { Tensor, wrap } from './tensor.js';

/** Concatenates along an existing dimension. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return wrap(
    aten('cat').call(
      tensors.map((t) => t.handle),
      dim,
    ),
  );
}

/** Stacks along a new dimension. */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return wrap(
    aten('stack').call(
      tensors.map((t) => t.handle),
      dim,
    ),
  );
}

/** Element-wise `condition ? a : b`, broadcasting; numbers are scalars. */
export function where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  if (a instanceof Tensor && b instanceof Tensor) return wrap(aten('where.self').call(condition.handle, a.handle, b.handle));
  if (a instanceof Tensor) return wrap(aten('where.ScalarOther').call(condition.handle, a.handle, b as number));
  if (b instanceof Tensor) return wrap(aten('where.ScalarSelf').call(condition.handle, a as number, b.handle));
  return wrap(aten('where.Scalar').call(condition.handle, a, b));
}
