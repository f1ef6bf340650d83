import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, ImageDecodeError } from '../../src/data/index.js';
import sharp from 'sharp';
import { buildBadCorpus } from './support/corpus.js';

const isRoot = process.getuid?.() === 0;

test('every corpus file is decoded to 8-bit RGB or rejected with its reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-decode-'));
  try {
    const cases = await buildBadCorpus(dir);
    for (const c of cases) {
      const path = join(dir, c.file);
      const expect = c.rootReads && isRoot ? { width: 40, height: 20 } : c.expect;
      if ('skip' in expect) {
        await assert.rejects(decodeImage(path), (e: unknown) => {
          assert.ok(e instanceof ImageDecodeError, `${c.file}: ${e}`);
          assert.equal(e.reason, expect.skip, `${c.file}: ${e.message}`);
          return true;
        });
      } else {
        const img = await decodeImage(path);
        assert.equal(img.width, expect.width, `${c.file} width`);
        assert.equal(img.height, expect.height, `${c.file} height`);
        assert.equal(img.data.length, img.width * img.height * 3, `${c.file} is 3-channel 8-bit`);
        for (const px of c.pixels ?? []) {
          const o = (px.y * img.width + px.x) * 3;
          const got = [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!];
          const off = Math.max(...got.map((v, k) => Math.abs(v - px.rgb[k]!)));
          assert.ok(off <= px.tol, `${c.file} at (${px.x}, ${px.y}): got [${got}], expected [${px.rgb}] +- ${px.tol}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decoding from bytes, shrink-on-load, a custom pixel limit and lenient truncation', async () => {
  const big = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3366aa' } })
    .jpeg()
    .toBuffer();
  const img = await decodeImage(big);
  assert.deepEqual([img.width, img.height], [640, 480]);
  const small = await decodeImage(big, { maxShortSide: 120 });
  assert.deepEqual([small.width, small.height], [160, 120]);
  const tiny = await decodeImage(
    await sharp({ create: { width: 50, height: 40, channels: 3, background: '#000' } })
      .png()
      .toBuffer(),
    { maxShortSide: 120 },
  );
  assert.deepEqual([tiny.width, tiny.height], [50, 40], 'never enlarged');
  await assert.rejects(
    decodeImage(big, { maxPixels: 100_000 }, 'big.jpg'),
    (e: unknown) => e instanceof ImageDecodeError && e.reason === 'too-large' && e.path === 'big.jpg',
  );
  const cut = big.subarray(0, Math.floor(big.length / 2));
  await assert.rejects(decodeImage(cut), (e: unknown) => e instanceof ImageDecodeError && e.reason === 'truncated');
  const lenient = await decodeImage(cut, { allowTruncated: true });
  assert.deepEqual([lenient.width, lenient.height], [640, 480]);
  await assert.rejects(decodeImage(new Uint8Array(0)), /empty-file/);
});
