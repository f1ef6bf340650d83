/**
 * The class routes over a real socket: enroll → the next classify answers with the new class;
 * delete → gone; a restart keeps what was enrolled; bad enrollments get their 4xx and change
 * nothing; classify requests during an enrollment all get whole answers from the old or the
 * new class set; with --api-key the key is required.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get, post, startServer, type Fixture, type RunningServer } from './serve-support.js';
import { enrollFixture } from '../enrollment/enroll-fixture.js';
import { enrolledPath } from '../../src/enrollment/sidecar.js';

let fx: Fixture;
let ckpt: string;
let newPhotos: string[];
const dir = mkdtempSync(join(tmpdir(), 'fg-serve-classes-'));
const servers: RunningServer[] = [];

before(async () => {
  ({ fx, ckpt, newPhotos } = await enrollFixture(dir));
});
after(async () => {
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Each test starts from the trained classes alone, whatever the one before left.
beforeEach(() => rmSync(enrolledPath(ckpt), { force: true }));

async function serve(extra: string[] = []): Promise<RunningServer> {
  const s = await startServer(['--checkpoint', ckpt, '--precision', 'float32', '--threads', '1', '--no-web', '--body-limit', '200000', ...extra]);
  servers.push(s);
  return s;
}

function enrollForm(name: string | undefined, photos: string[], extra: Record<string, string> = {}): FormData {
  const form = new FormData();
  if (name !== undefined) form.append('name', name);
  for (const [k, v] of Object.entries(extra)) form.append(k, v);
  for (const p of photos) form.append('photos', new Blob([readFileSync(p)], { type: 'image/png' }), 'photo.png');
  return form;
}

const classify = async (url: string, photo: string, topK = 10) => {
  const r = await post(`${url}/v1/classify?top_k=${topK}`, readFileSync(photo), { 'content-type': 'image/png' });
  assert.equal(r.status, 200, await r.clone().text());
  return r.json();
};
const classesOf = async (url: string) => (await get(`${url}/v1/classes`)).json();

test('enroll, classify, delete, and a restart that keeps the enrolled class', async () => {
  let s = await serve();
  assert.deepEqual(await classesOf(s.url), { trained: fx.classes, enrolled: [], num_classes: 3 });
  const r = await post(`${s.url}/v1/classes`, enrollForm('class_3', newPhotos.slice(0, 5)));
  assert.equal(r.status, 201, await r.clone().text());
  const body = await r.json();
  assert.equal(body.name, 'class_3');
  assert.equal(body.photos, 5);
  assert.equal(body.num_classes, 4);
  for (const p of newPhotos.slice(5, 8))
    assert.equal((await classify(s.url, p)).predictions[0].label, 'class_3', `the next classify answers with the new class: ${p}`);
  const listed = await classesOf(s.url);
  assert.deepEqual(
    listed.enrolled.map((c: { name: string }) => c.name),
    ['class_3'],
  );
  const model = await (await get(`${s.url}/v1/model`)).json();
  assert.equal(model.num_classes, 4);
  // The verify route knows it too.
  const v = await post(`${s.url}/v1/verify?claimed=${encodeURIComponent('class_3')}`, readFileSync(newPhotos[8]!), { 'content-type': 'image/png' });
  assert.equal(v.status, 200);
  assert.equal((await v.json()).claimed.label, 'class_3');

  // A restart keeps it (the sidecar beside the checkpoint).
  await s.stop();
  s = await serve();
  assert.deepEqual(
    (await classesOf(s.url)).enrolled.map((c: { name: string }) => c.name),
    ['class_3'],
  );
  assert.equal((await classify(s.url, newPhotos[9]!)).predictions[0].label, 'class_3');

  const del = await fetch(`${s.url}/v1/classes/class_3`, { method: 'DELETE', signal: AbortSignal.timeout(30_000) });
  assert.equal(del.status, 200, await del.clone().text());
  assert.deepEqual((await classesOf(s.url)).enrolled, []);
  const labels = (await classify(s.url, newPhotos[9]!)).predictions.map((p: { label: string }) => p.label);
  assert.ok(!labels.includes('class_3'), 'gone after delete');
  assert.equal((await fetch(`${s.url}/v1/classes/class_3`, { method: 'DELETE' })).status, 404, 'deleting what is not enrolled');
  assert.equal((await fetch(`${s.url}/v1/classes/class_0`, { method: 'DELETE' })).status, 409, 'a trained class stays');
  await s.stop();
});

test('bad enrollments get their 4xx and change nothing', async () => {
  const s = await serve();
  const ok = await post(`${s.url}/v1/classes`, enrollForm('yellow', newPhotos.slice(0, 2)));
  assert.equal(ok.status, 201);
  const before = await classesOf(s.url);
  const text = join(dir, 'not-an-image.png');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(text, 'hello, not a photo');
  const cases: [string, () => Promise<Awaited<ReturnType<typeof post>>>, number, RegExp][] = [
    ['no photos', () => post(`${s.url}/v1/classes`, enrollForm('x', [])), 400, /no photos/],
    ['no name', () => post(`${s.url}/v1/classes`, enrollForm(undefined, newPhotos.slice(0, 2))), 400, /name/],
    ['a non-image', () => post(`${s.url}/v1/classes`, enrollForm('x', [newPhotos[0]!, text])), 400, /photo 2/],
    ['a trained name', () => post(`${s.url}/v1/classes`, enrollForm('class_1', newPhotos.slice(0, 2))), 409, /trained class/],
    ['an enrolled name', () => post(`${s.url}/v1/classes`, enrollForm('yellow', newPhotos.slice(0, 2))), 409, /enrolled already/],
    [
      '1,000 photos',
      () =>
        post(
          `${s.url}/v1/classes`,
          enrollForm(
            'many',
            Array.from({ length: 1000 }, () => newPhotos[0]!),
          ),
        ),
      413,
      /at most 50/,
    ],
    ['a 10 kB name', () => post(`${s.url}/v1/classes`, enrollForm('n'.repeat(10_000), newPhotos.slice(0, 2))), 400, /at most 200/],
    [
      'a correction above its range',
      () => post(`${s.url}/v1/classes`, enrollForm('x', newPhotos.slice(0, 2), { correction: '3.5' })),
      400,
      /'correction' must be a number in \[0, 3\]/,
    ],
    [
      'a correction that is no number',
      () => post(`${s.url}/v1/classes`, enrollForm('x', newPhotos.slice(0, 2), { correction: 'lots' })),
      400,
      /'correction' must be a number/,
    ],
    [
      'JSON with a bad photo',
      () => post(`${s.url}/v1/classes`, JSON.stringify({ name: 'j', photos: ['%%%'] }), { 'content-type': 'application/json' }),
      400,
      /base64/,
    ],
    ['plain text', () => post(`${s.url}/v1/classes`, 'name=x', { 'content-type': 'text/plain' }), 415, /multipart|JSON/],
  ];
  for (const [what, send, status, message] of cases) {
    const r = await send();
    const b = await r.json();
    assert.equal(r.status, status, `${what}: ${JSON.stringify(b)}`);
    assert.match(b.message, message, what);
    assert.deepEqual(await classesOf(s.url), before, `${what}: nothing changed`);
  }
  // JSON enrollment works too.
  const j = await post(
    `${s.url}/v1/classes`,
    JSON.stringify({ name: 'yellow json', photos: newPhotos.slice(2, 4).map((p) => readFileSync(p).toString('base64')) }),
    { 'content-type': 'application/json' },
  );
  assert.equal(j.status, 201, await j.clone().text());
  for (const name of ['yellow', 'yellow json'])
    assert.equal((await fetch(`${s.url}/v1/classes/${encodeURIComponent(name)}`, { method: 'DELETE' })).status, 200);
  await s.stop();
});

test('classify requests during an enrollment all get whole answers, from the old class set or the new one', async () => {
  const s = await serve(['--max-batch', '4']);
  const photo = readFileSync(fx.photos.class_0![0]!);
  const requests = Array.from({ length: 24 }, (_, i) =>
    new Promise((r) => setTimeout(r, i * 3)).then(() => post(`${s.url}/v1/classify?top_k=10`, photo, { 'content-type': 'image/png' })),
  );
  const enrolling = post(`${s.url}/v1/classes`, enrollForm('class_3', newPhotos.slice(0, 5)));
  const answers = await Promise.all(requests);
  assert.equal((await enrolling).status, 201);
  const sizes = new Set<number>();
  for (const r of answers) {
    assert.equal(r.status, 200);
    const b = await (r as Awaited<ReturnType<typeof post>>).json();
    const labels = b.predictions.map((p: { label: string }) => p.label);
    const sum = b.predictions.reduce((t: number, p: { score: number }) => t + p.score, 0);
    assert.ok(labels.length === 3 || (labels.length === 4 && labels.includes('class_3')), `one class set: ${labels}`);
    assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities over one class set sum to 1, got ${sum}`);
    sizes.add(labels.length);
  }
  assert.ok(sizes.size >= 1);
  assert.equal((await fetch(`${s.url}/v1/classes/class_3`, { method: 'DELETE' })).status, 200);
  await s.stop();
});

test('with --api-key, changing the classes needs the key; listing them too (every /v1 route does)', async () => {
  const s = await serve(['--api-key', 'sekret']);
  const form = () => enrollForm('class_3', newPhotos.slice(0, 2));
  assert.equal((await post(`${s.url}/v1/classes`, form())).status, 401);
  assert.equal((await fetch(`${s.url}/v1/classes/class_3`, { method: 'DELETE' })).status, 401);
  assert.equal((await get(`${s.url}/v1/classes`, { authorization: 'Bearer sekret' })).status, 200);
  assert.deepEqual((await (await get(`${s.url}/v1/classes`, { authorization: 'Bearer sekret' })).json()).enrolled, [], 'nothing changed');
  const r = await post(`${s.url}/v1/classes`, form(), { authorization: 'Bearer sekret' });
  assert.equal(r.status, 201);
  assert.equal((await fetch(`${s.url}/v1/classes/class_3`, { method: 'DELETE', headers: { 'x-api-key': 'sekret' } })).status, 200);
  await s.stop();
});

test('without an API key, only clients on this machine may change the classes (403 otherwise; listing stays open)', async () => {
  const { createServer } = await import('../../src/serve/index.js');
  const { classifier } = await import('../../src/index.js');
  using clf = await classifier(ckpt, { precision: 'float32' });
  const server = await createServer(clf, { warmUp: false, web: false });
  try {
    const form = enrollForm('class_3', newPhotos.slice(0, 2));
    const body = new Response(form);
    const payload = Buffer.from(await body.arrayBuffer());
    const headers = { 'content-type': body.headers.get('content-type')! };
    const far = await server.app.inject({ method: 'POST', url: '/v1/classes', payload, headers, remoteAddress: '203.0.113.7' });
    assert.equal(far.statusCode, 403, far.body);
    assert.match(far.json().message, /--api-key/);
    const gone = await server.app.inject({ method: 'DELETE', url: '/v1/classes/class_3', remoteAddress: '203.0.113.7' });
    assert.equal(gone.statusCode, 403);
    const list = await server.app.inject({ method: 'GET', url: '/v1/classes', remoteAddress: '203.0.113.7' });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json().enrolled, []);
    const near = await server.app.inject({ method: 'POST', url: '/v1/classes', payload, headers, remoteAddress: '127.0.0.1' });
    assert.equal(near.statusCode, 201, near.body);
    assert.deepEqual(
      clf.enrolledClasses().map((c) => c.name),
      ['class_3'],
    );
  } finally {
    await server.close();
  }
});
