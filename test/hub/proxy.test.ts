import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolvePretrained } from '../../src/hub/index.js';
import { payload, sha256, startFakeHub, startFakeProxy, timmRepo, withHubEnv, type FakeHub, type FakeProxy } from './hub-support.js';

let hub: FakeHub;
let proxy: FakeProxy;
before(async () => {
  hub = await startFakeHub();
  proxy = await startFakeProxy();
});
after(async () => {
  await proxy.close();
  await hub.close();
});

test('HTTP_PROXY (or http_proxy) carries the downloads; NO_PROXY and HTTPS_PROXY for https only leave them direct', { timeout: 20_000 }, async () => {
  const bytes = payload(20_000, 51);
  const name = `proxied-${sha256(bytes).slice(0, 8)}.pth`;
  hub.models.set(name, bytes);
  const url = `${hub.url}/models/${name}`;
  const hostPort = new URL(hub.url).host;
  for (const variable of ['HTTP_PROXY', 'http_proxy']) {
    await withHubEnv(hub, { [variable]: proxy.url }, async () => {
      proxy.used.length = 0;
      const src = await resolvePretrained(url, { progress: false });
      assert.ok(readFileSync(src.file).equals(bytes));
      assert.ok(
        proxy.used.some((u) => u === hostPort || u.startsWith(`${hub.url}/`)),
        `${variable}: the proxy was asked for ${hostPort}: ${JSON.stringify(proxy.used)}`,
      );
    });
  }
  await withHubEnv(hub, { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }, async () => {
    proxy.used.length = 0;
    await resolvePretrained(url, { progress: false });
    assert.deepEqual(proxy.used, [], 'NO_PROXY bypasses the proxy');
  });
  await withHubEnv(hub, { HTTPS_PROXY: proxy.url }, async () => {
    proxy.used.length = 0;
    await resolvePretrained(url, { progress: false });
    assert.deepEqual(proxy.used, [], 'HTTPS_PROXY is for https URLs');
  });
});

test('a hub download goes through the proxy, redirect to the storage host included', { timeout: 20_000 }, async () => {
  const weights = payload(30_000, 52);
  hub.repos.set('timm/resnet18.proxied', timmRepo('resnet18', weights));
  await withHubEnv(hub, { HTTP_PROXY: proxy.url }, async () => {
    proxy.used.length = 0;
    const src = await resolvePretrained('hf-hub:timm/resnet18.proxied', { progress: false });
    assert.ok(readFileSync(src.file).equals(weights));
    const hosts = new Set(proxy.used.map((u) => (u.includes('://') ? new URL(u).host : u)));
    assert.ok(hosts.has(new URL(hub.url).host) && hosts.has(new URL(hub.storageUrl).host), JSON.stringify([...hosts]));
  });
});
