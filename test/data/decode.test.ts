import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, ImageDecodeError } from '../../src/data/index.js';
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
