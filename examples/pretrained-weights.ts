/**
 * Start from pretrained weights without Python: a PyTorch checkpoint file (zip or legacy
 * format, FILE#ENTRY for a nested state dict) or a weights name such as
 * torchvision:resnet50 or hf-hub:timm/<repo> (downloaded once into the shared cache).
 *
 *   node build/examples/pretrained-weights.js resnet18 resnet18.pth 10
 *   node build/examples/pretrained-weights.js - torchvision:resnet18 10
 */
import { createModel, fromPretrained, isWeightsSpec } from 'finegrain';

const [model, weights, classes = '10'] = process.argv.slice(2);
if (!model || !weights) throw new Error('usage: pretrained-weights.js MODEL|- FILE|NAME [NUM_CLASSES]');
const numClasses = Number(classes);

if (isWeightsSpec(weights)) {
  const { model: m, preprocess } = await fromPretrained(weights, { numClasses, ...(model !== '-' ? { model } : {}) });
  console.log(`${weights}: ${m.numParameters()} parameters, input ${preprocess.inputSize} px`);
  m.dispose();
} else {
  const m = createModel(model, { pretrained: weights, numClasses, log: (line) => console.error(line) });
  console.log(`${weights}: ${m.numParameters()} parameters, a new ${numClasses}-class head`);
  m.dispose();
}
