import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePretrained, resolvePretrainedCached } from '../../src/hub/index.js';
import { commitOf, gitBlobId, payload, rejectsWith, sha256, startFakeHub, throwsWith, timmRepo, withHubEnv, type FakeHub } from './hub-support.js';

let hub: FakeHub;
before(async () => {
  hub = await startFakeHub();
});
after(async () => {
  await hub.close();
});

/** Every file under a folder, relative, with symlinks marked. */
function tree(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = prefix + name;
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...tree(p, `${rel}/`));
    else out.push(st.isSymbolicLink() ? `${rel} -> ${readlinkSync(p)}` : rel);
  }
  return out;
}

const storageGets = (): number => hub.log.filter((r) => r.server === 'storage' && r.method === 'GET').length;

test('a hub download lands in the hub layout, and a second resolve makes no request', { timeout: 20_000 }, async () => {
  const weights = payload(300_000, 7);
  const repo = timmRepo('resnet18', weights);
  hub.repos.set('timm/resnet18.layout', repo);
  await withHubEnv(hub, {}, async (env) => {
    hub.log.length = 0;
    const src = await resolvePretrained('hf-hub:timm/resnet18.layout', { progress: false });
    const repoDir = join(env.hubCache, 'models--timm--resnet18.layout');
    const digest = sha256(weights);
    const configId = gitBlobId(repo.files.get('config.json')!.bytes);
    assert.equal(src.file, join(repoDir, 'snapshots', repo.commit, 'model.safetensors'));
    assert.deepEqual(tree(repoDir), [
      `blobs/${configId}`,
      `blobs/${digest}`,
      'refs/main',
      `snapshots/${repo.commit}/config.json -> ../../blobs/${configId}`,
      `snapshots/${repo.commit}/model.safetensors -> ../../blobs/${digest}`,
    ]);
    assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), repo.commit);
    assert.ok(readFileSync(src.file).equals(weights), 'the cached bytes are the served bytes');
    assert.deepEqual(tree(join(env.hubCache, '.locks')), [], 'locks are released (removed)');
    // What the config says, with the architecture mapped and finegrain's bilinear resampler.
    assert.equal(src.architecture, 'resnet18');
    assert.deepEqual(src.preprocess, { inputSize: 256, interpolation: 'bilinear', cropFraction: 0.95, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    assert.equal(src.interpolation, 'bicubic');
    assert.deepEqual(src.classNames, ['sparrow', 'finch', 'wren']);
    assert.equal(src.numClasses, 3);
    assert.equal(storageGets(), 1);
    assert.ok(
      hub.log.every((r) => r.headers.authorization === undefined),
      'no token configured, none sent',
    );

    const requests = hub.log.length;
    const again = await resolvePretrained('hf-hub:timm/resnet18.layout', { progress: false });
    assert.deepEqual(again, src);
    assert.deepEqual(resolvePretrainedCached('hf-hub:timm/resnet18.layout'), src);
    assert.deepEqual(resolvePretrainedCached(`hf-hub:timm/resnet18.layout@${repo.commit}`), { ...src, spec: `hf-hub:timm/resnet18.layout@${repo.commit}` });
    assert.equal(hub.log.length, requests, 'the cached revision is used without asking the hub');
    // `refresh` asks again (HEADs only: the blobs are there).
    await resolvePretrained('hf-hub:timm/resnet18.layout', { progress: false, refresh: true });
    assert.ok(hub.log.length > requests);
    assert.equal(storageGets(), 1);
  });
});

test('a download cut in the middle resumes with Range and is byte-identical', { timeout: 20_000 }, async () => {
  const weights = payload(400_001, 11);
  hub.repos.set('timm/resnet34.cut', timmRepo('resnet34', weights));
  await withHubEnv(hub, {}, async () => {
    hub.log.length = 0;
    Object.assign(hub.faults, { cutAfterBytes: 200_000, cutTimes: 1 });
    try {
      const src = await resolvePretrained('hf-hub:timm/resnet34.cut', { progress: false });
      assert.ok(readFileSync(src.file).equals(weights));
      const gets = hub.log.filter((r) => r.server === 'storage' && r.method === 'GET');
      assert.equal(gets.length, 2);
      assert.equal(gets[0]!.headers.range, undefined);
      assert.equal(gets[1]!.headers.range, 'bytes=200000-');
    } finally {
      for (const k of Object.keys(hub.faults)) delete hub.faults[k as keyof typeof hub.faults];
    }
  });
});

test('a download that keeps failing keeps its .incomplete part, and the next run resumes from it', { timeout: 30_000 }, async () => {
  const weights = payload(250_000, 12);
  const repo = timmRepo('resnet50', weights);
  hub.repos.set('timm/resnet50.flaky', repo);
  await withHubEnv(hub, {}, async (env) => {
    hub.log.length = 0;
    Object.assign(hub.faults, { cutAfterBytes: 100_000, cutTimes: 100 });
    const partial = join(env.hubCache, 'models--timm--resnet50.flaky', 'blobs', `${sha256(weights)}.incomplete`);
    try {
      const e = await rejectsWith(resolvePretrained('hf-hub:timm/resnet50.flaky', { progress: false }), 'NETWORK');
      assert.match(e.message, /partial download is kept/);
      assert.equal(statSync(partial).size, 100_000);
    } finally {
      for (const k of Object.keys(hub.faults)) delete hub.faults[k as keyof typeof hub.faults];
    }
    hub.log.length = 0;
    const src = await resolvePretrained('hf-hub:timm/resnet50.flaky', { progress: false });
    assert.ok(readFileSync(src.file).equals(weights));
    const gets = hub.log.filter((r) => r.server === 'storage' && r.method === 'GET');
    assert.deepEqual(
      gets.map((g) => g.headers.range),
      ['bytes=100000-'],
    );
    assert.ok(!existsSync(partial));
  });
});

test('a server that ignores Range and answers 200 gets the file written from the start', { timeout: 20_000 }, async () => {
  const weights = payload(300_000, 13);
  hub.repos.set('timm/resnet101.norange', timmRepo('resnet101', weights));
  await withHubEnv(hub, {}, async () => {
    hub.log.length = 0;
    Object.assign(hub.faults, { cutAfterBytes: 123_457, cutTimes: 1, ignoreRange: true });
    try {
      const src = await resolvePretrained('hf-hub:timm/resnet101.norange', { progress: false });
      assert.ok(readFileSync(src.file).equals(weights), 'not the first part twice');
      const gets = hub.log.filter((r) => r.server === 'storage' && r.method === 'GET');
      assert.equal(gets.length, 2);
      assert.equal(gets[1]!.headers.range, 'bytes=123457-');
    } finally {
      for (const k of Object.keys(hub.faults)) delete hub.faults[k as keyof typeof hub.faults];
    }
  });
});

test('bytes that do not match the published hash are rejected and not cached', { timeout: 20_000 }, async () => {
  const weights = payload(50_000, 14);
  const repo = timmRepo('resnet152', weights);
  hub.repos.set('timm/resnet152.tampered', repo);
  await withHubEnv(hub, {}, async (env) => {
    const repoDir = join(env.hubCache, 'models--timm--resnet152.tampered');
    try {
      hub.faults.tamper = 'lfs';
      const e = await rejectsWith(resolvePretrained('hf-hub:timm/resnet152.tampered', { progress: false }), 'INTEGRITY');
      assert.match(e.message, new RegExp(sha256(weights)));
      assert.ok(!tree(repoDir).some((f) => f.includes(sha256(weights))), `nothing of the weights is cached: ${tree(repoDir).join(', ')}`);
      // config.json is checked too: git's blob id from its ETag.
      rmSync(repoDir, { recursive: true, force: true });
      hub.faults.tamper = 'git';
      await rejectsWith(resolvePretrained('hf-hub:timm/resnet152.tampered', { progress: false }), 'INTEGRITY');
      assert.ok(!tree(repoDir).some((f) => f.startsWith('blobs/') || f.startsWith('snapshots/')), tree(repoDir).join(', '));
    } finally {
      delete hub.faults.tamper;
    }
    const src = await resolvePretrained('hf-hub:timm/resnet152.tampered', { progress: false });
    assert.ok(readFileSync(src.file).equals(weights));
  });
});

test('404s say which of repository, revision or file is missing; no safetensors falls back to pytorch_model.bin', { timeout: 20_000 }, async () => {
  const bin = payload(40_000, 15);
  hub.repos.set('timm/resnet18.binonly', timmRepo('resnet18', bin, { weightsName: 'pytorch_model.bin' }));
  const empty = timmRepo('resnet18', payload(10, 1));
  empty.files.delete('model.safetensors');
  hub.repos.set('timm/resnet18.empty', empty);
  await withHubEnv(hub, {}, async (env) => {
    let e = await rejectsWith(resolvePretrained('hf-hub:timm/no-such-repo', { progress: false }), 'NOT_FOUND');
    assert.match(e.message, /repository 'timm\/no-such-repo' not found/);
    e = await rejectsWith(resolvePretrained('hf-hub:timm/resnet18.binonly@v9', { progress: false }), 'NOT_FOUND');
    assert.match(e.message, /revision 'v9' not found in repository 'timm\/resnet18.binonly'/);
    e = await rejectsWith(resolvePretrained('hf-hub:timm/resnet18.empty', { progress: false }), 'NOT_FOUND');
    assert.match(e.message, /neither model\.safetensors nor pytorch_model\.bin/);

    const src = await resolvePretrained('hf-hub:timm/resnet18.binonly', { progress: false });
    const commit = hub.repos.get('timm/resnet18.binonly')!.commit;
    const repoDir = join(env.hubCache, 'models--timm--resnet18.binonly');
    assert.equal(src.file, join(repoDir, 'snapshots', commit, 'pytorch_model.bin'));
    assert.ok(readFileSync(src.file).equals(bin));
    assert.ok(existsSync(join(repoDir, '.no_exist', commit, 'model.safetensors')), 'the absence is remembered, as huggingface_hub does');
    // …so the cached resolve needs no request.
    const n = hub.log.length;
    assert.equal((await resolvePretrained('hf-hub:timm/resnet18.binonly', { progress: false })).file, src.file);
    assert.equal(hub.log.length, n);
  });
});

test('a private repository: 401 says to set HF_TOKEN, a wrong token 403; the token goes to the hub only', { timeout: 20_000 }, async () => {
  const weights = payload(60_000, 16);
  hub.repos.set('acme/private-resnet', timmRepo('resnet50', weights, { token: 'hf_secret' }));
  await withHubEnv(hub, {}, async (env) => {
    let e = await rejectsWith(resolvePretrained('hf-hub:acme/private-resnet', { progress: false }), 'UNAUTHORIZED');
    assert.match(e.message, /HF_TOKEN/);
    assert.match(e.message, /acme\/private-resnet/);
    process.env.HF_TOKEN = 'hf_wrong';
    e = await rejectsWith(resolvePretrained('hf-hub:acme/private-resnet', { progress: false }), 'FORBIDDEN');
    assert.match(e.message, /HF_TOKEN/);

    process.env.HF_TOKEN = 'hf_secret';
    hub.log.length = 0;
    const src = await resolvePretrained('hf-hub:acme/private-resnet', { progress: false });
    assert.ok(readFileSync(src.file).equals(weights));
    const hubReqs = hub.log.filter((r) => r.server === 'hub');
    const storageReqs = hub.log.filter((r) => r.server === 'storage');
    assert.ok(hubReqs.length >= 3 && storageReqs.length === 1);
    assert.ok(
      hubReqs.every((r) => r.headers.authorization === 'Bearer hf_secret'),
      'the token is sent to the hub',
    );
    assert.equal(storageReqs[0]!.headers.authorization, undefined, 'and not to the storage host it redirects to');

    // The token file huggingface-cli login writes, found through HF_TOKEN_PATH.
    delete process.env.HF_TOKEN;
    const tokenFile = join(env.dir, 'token');
    writeFileSync(tokenFile, 'hf_secret\n');
    process.env.HF_TOKEN_PATH = tokenFile;
    const viaFile = await resolvePretrained('hf-hub:acme/private-resnet', { progress: false, refresh: true });
    assert.equal(viaFile.file, src.file);
  });
});

test('offline mode uses the cache and names the path and the download when a file is missing', { timeout: 20_000 }, async () => {
  const weights = payload(30_000, 17);
  hub.repos.set('timm/densenet121.off', timmRepo('densenet121', weights));
  await withHubEnv(hub, {}, async (env) => {
    const online = await resolvePretrained('hf-hub:timm/densenet121.off', { progress: false });
    hub.log.length = 0;
    for (const v of ['HF_HUB_OFFLINE', 'FINEGRAIN_OFFLINE']) {
      process.env[v] = '1';
      assert.deepEqual(await resolvePretrained('hf-hub:timm/densenet121.off', { refresh: true }), online);
      const e = await rejectsWith(resolvePretrained('hf-hub:timm/densenet121.never'), 'NOT_CACHED');
      assert.ok(e.message.includes(join(env.hubCache, 'models--timm--densenet121.never', 'refs', 'main')), e.message);
      assert.ok(e.message.includes(`${hub.url}/timm/densenet121.never/resolve/main/model.safetensors`), e.message);
      delete process.env[v];
    }
    assert.deepEqual(await resolvePretrained('hf-hub:timm/densenet121.off', { offline: true, refresh: true }), online);
    assert.equal(hub.log.length, 0, 'offline: not a single request');
    const e = throwsWith(() => resolvePretrainedCached('torchvision:resnet18'), 'NOT_CACHED');
    assert.ok(e.message.includes(join(env.checkpoints, 'resnet18-f37072fd.pth')), e.message);
    assert.ok(e.message.includes(`${hub.url}/models/resnet18-f37072fd.pth`), e.message);
  });
});

test('a cache written by hand in the hub layout (as Python leaves it) is read without any request', { timeout: 20_000 }, async () => {
  await withHubEnv(hub, {}, async (env) => {
    const commit = commitOf('by-hand');
    const weights = payload(1000, 18);
    const config = Buffer.from(
      JSON.stringify({ architecture: 'seresnet50', num_classes: 1000, pretrained_cfg: { input_size: [3, 224, 224], crop_pct: 0.875 } }),
    );
    const repoDir = join(env.hubCache, 'models--timm--seresnet50.a1_in1k');
    mkdirSync(join(repoDir, 'blobs'), { recursive: true });
    mkdirSync(join(repoDir, 'snapshots', commit), { recursive: true });
    mkdirSync(join(repoDir, 'refs'), { recursive: true });
    writeFileSync(join(repoDir, 'blobs', sha256(weights)), weights);
    writeFileSync(join(repoDir, 'blobs', gitBlobId(config)), config);
    symlinkSync(`../../blobs/${sha256(weights)}`, join(repoDir, 'snapshots', commit, 'model.safetensors'));
    symlinkSync(`../../blobs/${gitBlobId(config)}`, join(repoDir, 'snapshots', commit, 'config.json'));
    writeFileSync(join(repoDir, 'refs', 'main'), commit); // huggingface_hub writes the hash without a newline
    hub.log.length = 0;
    const src = await resolvePretrained('hf-hub:timm/seresnet50.a1_in1k', { progress: false });
    assert.equal(src.file, join(repoDir, 'snapshots', commit, 'model.safetensors'));
    assert.equal(src.architecture, 'seresnet50');
    assert.equal(src.preprocess?.cropFraction, 0.875);
    assert.deepEqual(src.preprocess?.mean, [0.485, 0.456, 0.406]);
    assert.equal(hub.log.length, 0);

    // With the hub unreachable, a refresh falls back to the cache (huggingface_hub's behaviour)…
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
    assert.equal((await resolvePretrained('hf-hub:timm/seresnet50.a1_in1k', { progress: false, refresh: true })).file, src.file);
    // …and what is not cached fails with a message that names the host and the way out.
    const e = await rejectsWith(resolvePretrained('hf-hub:timm/seresnet34.x', { progress: false }), 'NETWORK');
    for (const word of ['127.0.0.1:9', 'HF_HUB_OFFLINE', 'FINEGRAIN_OFFLINE', 'HTTPS_PROXY']) assert.ok(e.message.includes(word), `${word} in: ${e.message}`);
  });
});

test('an aborted download stops with ABORTED and keeps its part for the next run', { timeout: 20_000 }, async () => {
  const weights = payload(600_000, 19);
  hub.repos.set('timm/resnet50.abort', timmRepo('resnet50', weights));
  await withHubEnv(hub, {}, async (env) => {
    const partial = join(env.hubCache, 'models--timm--resnet50.abort', 'blobs', `${sha256(weights)}.incomplete`);
    hub.faults.slowPieces = 20;
    const controller = new AbortController();
    try {
      const pending = resolvePretrained('hf-hub:timm/resnet50.abort', { progress: false, signal: controller.signal });
      // Abort once some bytes have arrived.
      while (!existsSync(partial) || statSync(partial).size === 0) await new Promise((r) => setTimeout(r, 20));
      controller.abort();
      await rejectsWith(pending, 'ABORTED');
    } finally {
      delete hub.faults.slowPieces;
    }
    const kept = statSync(partial).size;
    assert.ok(kept > 0 && kept < weights.length, `part kept: ${kept}`);
    hub.log.length = 0;
    const src = await resolvePretrained('hf-hub:timm/resnet50.abort', { progress: false });
    assert.ok(readFileSync(src.file).equals(weights));
    assert.equal(hub.log.find((r) => r.server === 'storage')?.headers.range, `bytes=${kept}-`);
  });
});
