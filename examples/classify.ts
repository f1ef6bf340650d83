/**
 * Classify a photo with a trained checkpoint: the top classes, whether it looks like none of
 * them, whether the photo is usable, and where the evidence lies.
 *
 *   node build/examples/classify.js runs/birds/checkpoints/best.safetensors photo.jpg
 */
import { classifier } from 'finegrain';

const [checkpoint, photo] = process.argv.slice(2);
if (!checkpoint || !photo) throw new Error('usage: classify.js CHECKPOINT PHOTO');

using clf = await classifier(checkpoint);
const r = await clf.classify(photo, { topK: 3, attention: true });
for (const p of r.predictions) console.log(`${p.label}\t${(p.score * 100).toFixed(1)} %`);
console.log(`unknown: ${r.unknown.isUnknown} (score ${r.unknown.score.toFixed(3)}), quality ok: ${r.quality.ok}`);
console.log(`attention map: ${r.attention ? r.attention.method : 'none'}`);
