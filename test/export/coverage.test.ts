// Every architecture `finegrain models` lists is in exactly one export parity group.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listModels } from '../../src/models/registry.js';
import { EXPORT_GROUPS, SAMPLED } from './support/cases.js';

test('the export parity groups cover listModels() exactly once each', () => {
  const names = listModels();
  assert.ok(names.length > 80);
  for (const name of names) {
    const groups = Object.entries(EXPORT_GROUPS)
      .filter(([, re]) => re.test(name))
      .map(([g]) => g);
    assert.equal(groups.length, 1, `${name} is in ${groups.length ? groups.join(', ') : 'no group'}`);
  }
});

test('every architecture of the default (sampled) export run is registered', () => {
  const names = new Set(listModels());
  for (const n of SAMPLED) assert.ok(names.has(n), `${n} is not a registered model`);
});
