import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassHierarchy, HierarchyError, hierarchyFromMapping, hierarchyFromNames, hierarchyFromPaths, readHierarchyFile } from '../../src/hierarchy/index.js';
import { isUsageError } from '../../src/usage-error.js';
import { CARS33 } from './cars33-classes.js';
import { FOUR } from './helpers.js';

test("'make-model-year' groups cars33 into its 3 makes and 32 models (the two S4 Sedans share one)", () => {
  const h = hierarchyFromNames(CARS33, 'make-model-year');
  assert.deepEqual(h.levels, ['make', 'model', 'series']);
  // The dataset's README: 14 Audi, 13 BMW and 6 Mercedes-Benz series.
  assert.deepEqual(
    h.nodes[0]!.map((n) => [n.name, n.leaves.length]),
    [
      ['Audi', 14],
      ['BMW', 13],
      ['Mercedes-Benz', 6],
    ],
  );
  assert.equal(h.nodes[1]!.length, 32);
  const s4 = h.nodes[1]![h.nodeNamed('Audi S4 Sedan')!.index]!;
  assert.deepEqual(
    s4.leaves.map((i) => h.classes[i]),
    ['Audi S4 Sedan 2007', 'Audi S4 Sedan 2012'],
  );
  assert.deepEqual(h.pathOf(CARS33.indexOf('Mercedes-Benz 300-Class Convertible 1993')), [
    'Mercedes-Benz',
    'Mercedes-Benz 300-Class Convertible',
    'Mercedes-Benz 300-Class Convertible 1993',
  ]);
  assert.deepEqual(h.pathOf(CARS33.indexOf('BMW ActiveHybrid 5 Sedan 2012')).slice(0, 2), ['BMW', 'BMW ActiveHybrid 5 Sedan']);
  // The leaf level is the classes, in class order; every parent lists the child.
  assert.deepEqual(
    h.nodes[2]!.map((n) => n.name),
    CARS33,
  );
  for (const [l, level] of h.nodes.entries()) for (const [i, n] of level.entries()) if (l) assert.ok(h.nodes[l - 1]![n.parent]!.children.includes(i));
});

test('names that do not fit the pattern are all listed; fitting ones are not; multi-word makes by option', () => {
  const misfits = ['Audi S4 Sedan', 'Audi 2012', 'BMW  M3 Coupe 2012', 'BMW M3 Coupe 12'];
  assert.throws(
    () => hierarchyFromNames([...misfits, 'Audi S4 Sedan 2012'], 'make-model-year'),
    (e: Error) => {
      assert.ok(e instanceof HierarchyError && isUsageError(e));
      for (const m of misfits) assert.ok(e.message.includes(`'${m}'`), m);
      assert.ok(!e.message.includes("'Audi S4 Sedan 2012'"));
      assert.match(e.message, /^4 class name/);
      return true;
    },
  );
  const names = ['Land Rover Range Rover SUV 2012', 'Land Rover LR2 SUV 2012', 'Lamborghini Aventador Coupe 2012'];
  assert.deepEqual(hierarchyFromNames(names, 'make-model-year').pathOf(0)[0], 'Land');
  const h = hierarchyFromNames(names, 'make-model-year', { makes: ['Land', 'Land Rover'] });
  assert.deepEqual(
    h.nodes[0]!.map((n) => n.name),
    ['Land Rover', 'Lamborghini'],
  );
  assert.throws(() => hierarchyFromNames(names, 'make-year' as 'make-model-year'), /unknown name pattern 'make-year'/);
});

test('hierarchyFromMapping builds from { levels, classes } and refuses what does not fit the classes', () => {
  const levels = ['make', 'series'];
  const mapping = { levels, classes: { 'Audi A4 Sedan 2012': ['Audi'], 'BMW X3 SUV 2012': ['BMW'], 'BMW X5 SUV 2007': ['BMW'], 'BMW X5 SUV 2012': ['BMW'] } };
  const h = hierarchyFromMapping(FOUR, mapping);
  assert.deepEqual(
    h.nodes[0]!.map((n) => [n.name, n.leaves]),
    [
      ['Audi', [0]],
      ['BMW', [1, 2, 3]],
    ],
  );
  assert.deepEqual(hierarchyFromMapping(FOUR, h.toMapping()).leafPath, h.leafPath, 'toMapping round-trips');
  const { 'BMW X5 SUV 2012': _, ...lacking } = mapping.classes;
  assert.throws(() => hierarchyFromMapping(FOUR, { levels, classes: lacking }), /lacks 1 of the model's classes: 'BMW X5 SUV 2012'/);
  assert.throws(() => hierarchyFromMapping(FOUR, { levels, classes: { ...mapping.classes, 'Tesla S 2012': ['Tesla'] } }), /does not have: 'Tesla S 2012'/);
  assert.throws(
    () => hierarchyFromMapping(FOUR, { levels: ['make', 'model', 'series'], classes: { ...h.toMapping().classes, 'BMW X3 SUV 2012': ['BMW', 'X3'] } }),
    /every class needs 2 ancestor name\(s\).*'Audi A4 Sedan 2012'/,
  );
  const twoParents = { levels: ['make', 'model', 'series'], classes: { 'Audi A4 Sedan 2012': ['Audi', 'A4'], 'BMW X3 SUV 2012': ['BMW', 'A4'] } };
  assert.throws(() => hierarchyFromMapping(FOUR.slice(0, 2), twoParents), /'A4' \(model\) is under both 'Audi' and 'BMW'/);
  assert.throws(() => hierarchyFromMapping(['a', 'b'], { levels: ['g', 'c'], classes: { a: ['b'], b: ['x'] } }), /'b' names a node at two levels \(g and c\)/);
  assert.throws(() => hierarchyFromMapping(['a'], { levels: ['g', 'g'], classes: { a: ['x'] } }), /level names must differ/);
  assert.throws(() => hierarchyFromMapping(['a'], { levels: ['g', 'c'], classes: { a: [' '] } }), /non-empty/);
  for (const bad of [[], null, 'x', { levels: 'make', classes: {} }, { levels: ['g'], classes: [] }, { levels: ['g', 'c'], classes: { a: 'x' } }])
    assert.throws(() => hierarchyFromMapping(['a'], bad), HierarchyError, JSON.stringify(bad));
  assert.throws(() => new ClassHierarchy(['a', 'a'], ['c'], [[], []]), /twice: 'a'/);
  assert.throws(() => new ClassHierarchy([], ['c'], []), /at least one class/);
});

test('hierarchyFromPaths names nodes by path prefix, so equal folder names under different parents stay apart', () => {
  const classes = ['Audi/S4 Sedan/2012', 'Audi/S4 Sedan/2007', 'BMW/M3 Coupe/2012'];
  const h = hierarchyFromPaths(classes);
  assert.deepEqual(h.levels, ['level1', 'level2', 'level3']);
  assert.deepEqual(h.pathOf(2), ['BMW', 'BMW/M3 Coupe', 'BMW/M3 Coupe/2012']);
  assert.equal(h.nodes[1]![h.nodeNamed('Audi/S4 Sedan')!.index]!.leaves.length, 2);
  assert.deepEqual(hierarchyFromPaths(classes, ['make', 'model', 'year']).levels, ['make', 'model', 'year']);
  assert.throws(() => hierarchyFromPaths(classes, ['make', 'model']), /2 level names given for class paths of 3 parts/);
  assert.throws(() => hierarchyFromPaths([...classes, 'BMW/X5']), /same number of parts.*'BMW\/X5'/);
  assert.throws(() => hierarchyFromPaths(['Audi//2012', 'BMW/M3/2012/']), /empty parts.*'Audi\/\/2012', 'BMW\/M3\/2012\/'/);
});

test('readHierarchyFile reads .json and .csv and names the file in every error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-hier-'));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const classes = ['Audi S4 Sedan 2012', 'Audi, the A4 2012', 'BMW M3 Coupe 2012'];
  const csv = file(
    'h.csv',
    'make, model ,series\r\nAudi,Audi S4 Sedan,Audi S4 Sedan 2012\n\nAudi,Audi A4,"Audi, the A4 2012"\nBMW,BMW M3 Coupe,BMW M3 Coupe 2012\n',
  );
  const h = readHierarchyFile(csv, classes);
  assert.deepEqual(h.levels, ['make', 'model', 'series']);
  assert.deepEqual(h.pathOf(1), ['Audi', 'Audi A4', 'Audi, the A4 2012']);
  const json = file('h.json', JSON.stringify(h.toMapping()));
  assert.deepEqual(readHierarchyFile(json, classes).leafPath, h.leafPath);
  const fails = (path: string, pattern: RegExp) =>
    assert.throws(
      () => readHierarchyFile(path, classes),
      (e: Error) => e instanceof HierarchyError && e.message.startsWith(path + ': ') && pattern.test(e.message),
      pattern.source,
    );
  fails(file('short.csv', 'make,model,series\nAudi,Audi S4 Sedan 2012\n'), /row 2 has 2 column\(s\), the header 3/);
  fails(file('twice.csv', 'make,series\nAudi,Audi S4 Sedan 2012\nBMW,Audi S4 Sedan 2012\n'), /listed twice \(rows 2 and 3\)/);
  fails(file('header.csv', 'make,series\n'), /no class rows/);
  fails(file('empty.csv', '\n  \n'), /empty/);
  fails(file('empty.json', ''), /empty/);
  fails(file('bad.json', '{"levels": ["make", "series"], "classes": {'), /not valid JSON/);
  fails(file('missing.csv', 'make,series\nAudi,Audi S4 Sedan 2012\n'), /lacks 2 of the model's classes/);
  fails(
    file('parents.csv', 'make,model,series\nAudi,M3,Audi S4 Sedan 2012\nAudi,A4,"Audi, the A4 2012"\nBMW,M3,BMW M3 Coupe 2012\n'),
    /'M3' \(model\) is under both 'Audi' and 'BMW'/,
  );
  fails(file('h.yaml', 'levels: []'), /\.json or \.csv/);
  fails(join(dir, 'absent.json'), /not found/);
});
