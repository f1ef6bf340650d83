/**
 * Serve a checkpoint over HTTP from your own program (routes /v1/classify, /v1/verify, the
 * web page at /), ask it once, and stop.
 *
 *   node build/examples/serve.js runs/birds/checkpoints/best.safetensors photo.jpg
 */
import { readFileSync } from 'node:fs';
import { classifier } from 'finegrain';
import { createServer } from 'finegrain/serve';

const [checkpoint, photo] = process.argv.slice(2);
if (!checkpoint || !photo) throw new Error('usage: serve.js CHECKPOINT PHOTO');

const clf = await classifier(checkpoint);
const server = await createServer(clf, { host: '127.0.0.1', port: 0 });
try {
  const address = await server.listen();
  const res = await fetch(`${address}/v1/classify?top_k=1`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: readFileSync(photo) });
  console.log(res.status, JSON.stringify((await res.json()) as unknown));
} finally {
  await server.close();
  clf.dispose();
}
