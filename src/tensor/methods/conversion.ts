/** Moving between dtypes, devices and memory layouts; copies and detaching. */
import { aten } from '../../native/aten.js';
import { dtypeCode, type DType } from '../dtype.js';
import { Tensor, wrap, memoryFormatCode, type MemoryFormat, type ToOptions } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    /**
     * The tensor in another dtype, device and/or memory format. Returns `this` itself when
     * nothing changes (as PyTorch does) unless `copy` is set.
     * @example x.to({ device: 'cuda', dtype: 'bfloat16', memoryFormat: 'channelsLast' })
     */
    to(options: ToOptions): Tensor;
    /** The tensor as float32 (this itself if it already is). */
    float(): Tensor;
    /** The tensor as float16 (this itself if it already is). */
    half(): Tensor;
    /** The tensor as bfloat16 (this itself if it already is). */
    bfloat16(): Tensor;
    /** The tensor as float64 (this itself if it already is). */
    double(): Tensor;
    /** The tensor as int64, floats truncated toward zero (this itself if it already is). */
    long(): Tensor;
    /** The tensor as int32, floats truncated toward zero (this itself if it already is). */
    int(): Tensor;
    /** The tensor as bool: non-zero is true (this itself if it already is). */
    bool(): Tensor;
    /** The tensor as uint8 (this itself if it already is). */
    byte(): Tensor;
    /** The tensor on the CPU (this itself if it already is there). */
    cpu(): Tensor;
    /** The tensor on CUDA device `index` (default: the current one); this itself if it already is there. */
    cuda(index?: number): Tensor;
    /** A contiguous tensor in the given format (this itself if already so). */
    contiguous(memoryFormat?: MemoryFormat): Tensor;
    /**
     * A copy with its own memory (autograd records it, unlike `detach()`); `memoryFormat` picks its
     * layout (default: keep the input's).
     */
    clone(memoryFormat?: MemoryFormat): Tensor;
    /** A new tensor on the same data, cut from the autograd graph. */
    detach(): Tensor;
    /** Cut from the autograd graph in place. */
    detach_(): Tensor;
  }
}

const P = Tensor.prototype;

P.to = function (options) {
  const h = aten('to.dtype_layout').call(
    this.handle,
    options.dtype ? dtypeCode(options.dtype) : undefined,
    undefined,
    options.device,
    undefined,
    options.nonBlocking ?? false,
    options.copy ?? false,
    options.memoryFormat ? memoryFormatCode(options.memoryFormat) : undefined,
  );
  // libtorch returns the same TensorImpl when nothing changes; a new handle on it is harmless.
  return wrap(h);
};
const dtypes: ['float' | 'half' | 'bfloat16' | 'double' | 'long' | 'int' | 'bool' | 'byte', DType][] = [
  ['float', 'float32'],
  ['half', 'float16'],
  ['bfloat16', 'bfloat16'],
  ['double', 'float64'],
  ['long', 'int64'],
  ['int', 'int32'],
  ['bool', 'bool'],
  ['byte', 'uint8'],
];
for (const [name, dtype] of dtypes) {
  P[name] = function (this: Tensor) {
    return this.to({ dtype });
  };
}
P.cpu = function () {
  return this.to({ device: 'cpu' });
};
P.cuda = function (index) {
  return this.to({ device: index === undefined ? 'cuda' : `cuda:${index}` });
};
P.contiguous = function (memoryFormat = 'contiguous') {
  return wrap(aten('contiguous').call(this.handle, memoryFormatCode(memoryFormat)));
};
P.clone = function (memoryFormat) {
  return wrap(aten('clone').call(this.handle, memoryFormat ? memoryFormatCode(memoryFormat) : undefined));
};
P.detach = function () {
  return wrap(aten('detach').call(this.handle));
};
P.detach_ = function () {
  aten('detach_').callVoid(this.handle);
  return this;
};
