/**
 * Importing an int8-quantised MobileNetV2 from ONNX (the ONNX Model Zoo's
 * `mobilenetv2-12-int8.onnx`: torchvision's MobileNetV2 exported with BatchNorm folded, then
 * quantised by onnxruntime's quantiser to QLinearConv / QLinearMatMul / QLinearAdd) into
 * torchvision's float state dict, which `createModel('mobilenet_v2')` loads as it is.
 *
 * What each graph piece becomes:
 *  - QLinearConv weight (int8, per-output-channel scale and zero point):
 *    `(q - zp[c]) * scale[c]` → the conv's `weight`;
 *  - its int32 bias (scale = input scale * weight scale[c], zero point 0, as the operator
 *    defines it) → the following BatchNorm, mapped to "add this bias" (batch-norm-as-bias.ts);
 *  - QLinearMatMul weight [1280, 1000] (per-column scale) → `classifier.1.weight`, transposed
 *    to Linear's [out, in]; the QLinearAdd's uint8 bias → `classifier.1.bias`.
 * Activation quantisation (uint8 feature maps, ReLU6 folded into calibrated ranges that clip
 * some layers as low as 1.0) has no counterpart in the float model: the float network runs the
 * dequantised weights at full precision with real ReLU6s. Layer by layer, on onnxruntime's own
 * inputs, it reproduces onnxruntime's integer outputs (all but rounding ties); end to end the
 * logits differ by the accumulated activation rounding (on 50 bird photos: mean |diff| 0.5 on a
 * logit range of 26, per-image correlation >= 0.94, same top-1 on 37 of 50, finegrain's top-1
 * within onnxruntime's top 5 on all 50).
 *
 * Convs are matched to torchvision's keys by their order in the graph (ONNX stores nodes in
 * topological order, which the exporter takes from the module order) and by their structure:
 * each inverted-residual block is [1x1 expand], 3x3 depthwise, 1x1 project, recognised by
 * the depthwise conv's group count, so a graph that does not have this shape is rejected
 * instead of being loaded into the wrong layers.
 *
 * @example
 *   const dict = importMobileNetV2Onnx('../shared/weights/mobilenetv2-12-int8.onnx');
 *   const model = createModel('mobilenet_v2');
 *   model.loadStateDict(dict);                       // strict: every key and shape matches
 *   for (const t of Object.values(dict)) t.dispose();
 */
import { readOnnx, type OnnxModel, type OnnxNode } from '../../io/onnx/read.js';
import { dequantizeLinear } from '../../io/onnx/quantize.js';
import { onnxTensorToTensor } from '../../io/onnx/tensor.js';
import { scope, zeros, type Tensor } from '../../tensor/index.js';
import { foldedBatchNormEntries, BATCH_NORM_EPS } from './batch-norm-as-bias.js';

/** What the key assignment needs to know of each QLinearConv. */
interface ConvShape {
  node: OnnxNode;
  /** groups == output channels: a depthwise conv. */
  depthwise: boolean;
  kernel: number;
}

/** Where one QLinearConv of the graph goes in torchvision's MobileNetV2. */
export interface MobileNetV2ConvSlot {
  /** The graph's QLinearConv node. */
  node: OnnxNode;
  /** The Conv2d's key prefix ('features.2.conv.0.0'): its weight is `${conv}.weight`. */
  conv: string;
  /** The BatchNorm2d after it ('features.2.conv.0.1'), which carries the folded bias. */
  bn: string;
}

function constant(model: OnnxModel, name: string, node: OnnxNode): Tensor {
  const t = model.initializers.get(name);
  if (!t)
    throw new Error(
      `ONNX node ${node.name} (${node.opType}): input '${name}' is not a constant initialiser; only graphs with constant weights can be imported`,
    );
  return onnxTensorToTensor(t);
}

function intsAttr(node: OnnxNode, name: string, fallback: number[]): number[] {
  const v = node.attributes[name];
  return Array.isArray(v) ? (v as number[]) : fallback;
}

/** QLinearConv inputs: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, [B]. */
function convShape(model: OnnxModel, node: OnnxNode): ConvShape {
  const w = model.initializers.get(node.inputs[3]!);
  if (!w || w.dims.length !== 4) throw new Error(`ONNX node ${node.name}: its weight '${node.inputs[3]}' is not a constant 4-D initialiser`);
  const group = typeof node.attributes.group === 'number' ? node.attributes.group : 1;
  const [kh, kw] = intsAttr(node, 'kernel_shape', w.dims.slice(2));
  const pads = intsAttr(node, 'pads', [0, 0, 0, 0]);
  const dilations = intsAttr(node, 'dilations', [1, 1]);
  // torchvision's convs are square with "same" padding and no dilation; anything else
  // would load into a layer that computes something different.
  const p = ((kh ?? 1) - 1) / 2;
  if (kh !== kw || pads.some((v) => v !== p) || dilations.some((d) => d !== 1)) {
    throw new Error(`ONNX node ${node.name}: kernel [${kh}, ${kw}], pads [${pads}], dilations [${dilations}] do not match MobileNetV2's convolutions`);
  }
  return { node, depthwise: group > 1 && group === w.dims[0], kernel: kh! };
}

/** The float weight and the folded bias of one QLinearConv. */
function dequantizeConv(model: OnnxModel, node: OnnxNode): { weight: Tensor; bias: Tensor } {
  return scope(() => {
    const [, xScaleName, , wName, wScaleName, wZpName, , , bName] = node.inputs;
    const wScale = constant(model, wScaleName!, node).to({ dtype: 'float64' });
    const weight = dequantizeLinear(constant(model, wName!, node), wScale, constant(model, wZpName!, node), { axis: 0 });
    // The int32 bias is quantised with scale x_scale * w_scale[c] and zero point 0.
    const bias = bName
      ? dequantizeLinear(constant(model, bName, node), wScale.mul(constant(model, xScaleName!, node).to({ dtype: 'float64' })), null, { axis: 0 })
      : zeros([weight.shape[0]!]);
    return { weight, bias };
  });
}

/**
 * Matches the graph's QLinearConvs, in order, to torchvision's key prefixes: features.0.0,
 * then per block features.i.conv.{0.0 expand, 1.0 depthwise, 2 project} (block 1, without
 * expansion: conv.0.0 depthwise, conv.1 project), then the last 1x1 conv features.N.0. Each
 * conv's BatchNorm is the next index of its Sequential. Throws when the graph does not have
 * MobileNetV2's shape. (Also what tests use to find each layer's activation quantisation.)
 *
 * @example
 *   const slots = mobileNetV2ConvSlots(readOnnx(path));
 *   slots[1];   // { node: <Conv_2_quant>, conv: 'features.1.conv.0.0', bn: 'features.1.conv.0.1' }
 */
export function mobileNetV2ConvSlots(model: OnnxModel): MobileNetV2ConvSlot[] {
  const convs: ConvShape[] = [];
  for (const node of model.nodes) {
    if (node.opType === 'Conv') throw new Error(`ONNX node ${node.name} is a float Conv: only the int8 (QLinearConv) export is supported`);
    if (node.opType === 'QLinearConv') convs.push(convShape(model, node));
  }
  const fail = (why: string): never => {
    throw new Error(`the ONNX graph is not torchvision's MobileNetV2: ${why}`);
  };
  if (convs.length < 3) fail(`${convs.length} convolutions`);
  if (convs[0]!.kernel !== 3 || convs[0]!.depthwise) fail('the stem is not a dense 3x3 conv');
  const slots: MobileNetV2ConvSlot[] = [{ node: convs[0]!.node, conv: 'features.0.0', bn: 'features.0.1' }];
  let i = 1;
  let block = 1;
  while (i < convs.length - 1) {
    const expand = !convs[i]!.depthwise;
    const dw = convs[i + (expand ? 1 : 0)];
    const project = convs[i + (expand ? 2 : 1)];
    if (!dw?.depthwise || dw.kernel !== 3) fail(`block ${block} has no 3x3 depthwise conv where one belongs (node ${dw?.node.name ?? 'none'})`);
    if (!project || project.depthwise || project.kernel !== 1 || (expand && convs[i]!.kernel !== 1))
      fail(`block ${block} is not [1x1 expand,] depthwise, 1x1 project`);
    const p = `features.${block}.conv`;
    if (expand) slots.push({ node: convs[i]!.node, conv: `${p}.0.0`, bn: `${p}.0.1` });
    const d = expand ? 1 : 0;
    slots.push({ node: dw!.node, conv: `${p}.${d}.0`, bn: `${p}.${d}.1` });
    slots.push({ node: project!.node, conv: `${p}.${d + 1}`, bn: `${p}.${d + 2}` });
    i += expand ? 3 : 2;
    block++;
  }
  if (i !== convs.length - 1 || convs[i]!.kernel !== 1 || convs[i]!.depthwise) fail('it does not end with one 1x1 conv after the blocks');
  slots.push({ node: convs[i]!.node, conv: `features.${block}.0`, bn: `features.${block}.1` });
  return slots;
}

/** The classifier: QLinearMatMul (x, x_s, x_zp, W [in, out], W_s, W_zp, y_s, y_zp) + QLinearAdd of a constant bias. */
function importClassifier(model: OnnxModel): Record<string, Tensor> {
  const matmuls = model.nodes.filter((n) => n.opType === 'QLinearMatMul');
  if (matmuls.length !== 1) throw new Error(`expected one QLinearMatMul (the classifier), found ${matmuls.length}`);
  const mm = matmuls[0]!;
  const add = model.nodes.find((n) => n.opType === 'QLinearAdd' && n.inputs[0] === mm.outputs[0]);
  if (!add) throw new Error(`the classifier's QLinearMatMul (${mm.name}) is not followed by a QLinearAdd of its bias`);
  return scope(() => {
    const [, , , wName, wsName, wzName] = mm.inputs;
    // W is stored [in, out] for x @ W, scaled per output column (axis 1).
    const w = dequantizeLinear(constant(model, wName!, mm), constant(model, wsName!, mm), constant(model, wzName!, mm), { axis: 1 });
    // QLinearAdd inputs: a, a_s, a_zp, b, b_s, b_zp, y_s, y_zp; b is the bias.
    const [, , , bName, bsName, bzName] = add.inputs;
    const b = dequantizeLinear(constant(model, bName!, add), constant(model, bsName!, add), constant(model, bzName!, add));
    if (b.ndim !== 1 || b.shape[0] !== w.shape[1]) throw new Error(`classifier bias shape [${b.shape}] does not match weight [${w.shape}]`);
    return { 'classifier.1.weight': w.t().contiguous(), 'classifier.1.bias': b };
  });
}

/**
 * Reads the quantised ONNX MobileNetV2 at `source` (a path or the file's bytes) and returns
 * torchvision's `mobilenet_v2` state dict in float32 (the caller owns the tensors). The
 * number of classes is the classifier's (1000 for the ONNX Model Zoo file: ImageNet without
 * a background class).
 *
 * @example
 *   const dict = importMobileNetV2Onnx('../shared/weights/mobilenetv2-12-int8.onnx');
 *   dict['classifier.1.weight'].shape;   // [1000, 1280]
 *   saveSafetensors('mobilenet_v2.safetensors', dict);   // a float checkpoint for reuse
 */
export function importMobileNetV2Onnx(source: string | Uint8Array): Record<string, Tensor> {
  const model = readOnnx(source);
  const slots = mobileNetV2ConvSlots(model);
  const dict: Record<string, Tensor> = {};
  try {
    for (const slot of slots) {
      const { weight, bias } = dequantizeConv(model, slot.node);
      dict[`${slot.conv}.weight`] = weight;
      Object.assign(dict, foldedBatchNormEntries(slot.bn, bias, BATCH_NORM_EPS));
    }
    Object.assign(dict, importClassifier(model));
    return dict;
  } catch (e) {
    for (const t of Object.values(dict)) t.dispose();
    throw e;
  }
}
