// Files a run cannot use are reported where the user looks: in the run's output when first
// seen, in the final summary, and in the run folder's skipped.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/train/trainer.js';
import { writeTinyDataset } from './tiny-dataset.js';

test('a training run over a folder with undecodable files names each with its reason, in its output and its run folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-skip-'));
  try {
    await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 10 });
    const bad = {
      garbage: join(dir, 'data/class_0/garbage.jpg'),
      truncated: join(dir, 'data/class_1/truncated.png'),
      empty: join(dir, 'data/class_2/empty.jpg'),
    };
    writeFileSync(bad.garbage, 'this is not a JPEG at all, just text pretending to be one');
    writeFileSync(bad.truncated, readFileSync(join(dir, 'data/class_1/0.png')).subarray(0, 60));
    writeFileSync(bad.empty, '');
    const lines: string[] = [];
    // prettier-ignore
    const r = await train({ data: join(dir, 'data'), out: join(dir, 'runs'), name: 's', model: 'regnetx_002', imageSize: 32, batchSize: 8, epochs: 1,
      augment: 'none', precision: 'float32', quiet: true, valFraction: 0.3 }, { log: (l) => lines.push(l) });
    const out = lines.join('\n');
    for (const [what, path] of Object.entries(bad))
      assert.match(out, new RegExp(`skipped: ${path.replace(/[.]/g, '\\.')} \\(`), `${what} is named in the output`);
    assert.match(out, /\(empty-file: 0 bytes\)/);
    assert.match(out, /garbage\.jpg \(not-an-image: Input file contains unsupported image format\)/);
    assert.match(out, /\(truncated[:)]|\(corrupt[:)]/);
    assert.match(r.skipped, /^3 files skipped: /);
    assert.match(lines[lines.length - 1]!, /^3 files skipped: .*skipped\.json/, 'the run ends with the summary');
    const listed = JSON.parse(readFileSync(join(r.runDir, 'skipped.json'), 'utf8'));
    assert.equal(listed.count, 3);
    assert.deepEqual(listed.files.map((f: { path: string }) => f.path).sort(), Object.values(bad).sort());
    for (const f of listed.files) assert.ok(f.reason && typeof f.detail === 'string', JSON.stringify(f));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
