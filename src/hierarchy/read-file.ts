/**
 * A hierarchy file, by its extension:
 *
 * - `.json`: the mapping of `hierarchyFromMapping` (`{ levels, classes }`);
 * - `.csv`: a header row of level names, then one row per class: its ancestors top-down and,
 *   in the last column, the class itself. Cells are trimmed; quoted cells may hold commas.
 *
 * ```csv
 * make,model,series
 * Audi,Audi S4 Sedan,Audi S4 Sedan 2012
 * BMW,BMW M3 Coupe,BMW M3 Coupe 2012
 * ```
 *
 * Every error names the file: not found, empty, not JSON, a row with the wrong number of
 * columns, a class listed twice, and the mapping's own errors (unknown or missing classes, a
 * node under two parents).
 *
 * @example
 *   const h = readHierarchyFile('data/cars33/hierarchy.csv', classes);
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseCsv } from '../data/datasets/parse-csv.js';
import type { ClassHierarchy, HierarchyMapping } from './class-hierarchy.js';
import { HierarchyError } from './errors.js';
import { hierarchyFromMapping } from './from-mapping.js';

/**
 * The hierarchy in a `.json` or `.csv` file, for these classes (the model's, in its order).
 *
 * @example
 *   readHierarchyFile('birds-hierarchy.json', classes).levels; // ['order', 'family', 'species']
 */
export function readHierarchyFile(path: string, classes: readonly string[]): ClassHierarchy {
  const ext = extname(path).toLowerCase();
  if (ext !== '.json' && ext !== '.csv') throw new HierarchyError(`${path}: a hierarchy file is .json or .csv, not '${ext || 'no extension'}'`);
  if (!existsSync(path)) throw new HierarchyError(`${path}: hierarchy file not found`);
  const text = readFileSync(path, 'utf8');
  try {
    if (!text.trim()) throw new HierarchyError('the file is empty');
    return hierarchyFromMapping(classes, ext === '.json' ? parseJson(text) : csvMapping(text));
  } catch (e) {
    if (e instanceof HierarchyError) throw new HierarchyError(`${path}: ${e.message}`);
    throw e;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HierarchyError(`not valid JSON (${(e as Error).message})`);
  }
}

/**
 * The mapping a hierarchy CSV holds (see the module comment).
 *
 * @example
 *   csvMapping('make,series\nAudi,Audi S4 Sedan 2012\n'); // { levels: ['make', 'series'], classes: { 'Audi S4 Sedan 2012': ['Audi'] } }
 */
export function csvMapping(text: string): HierarchyMapping {
  const rows = parseCsv(text).map((r) => r.map((cell) => cell.trim()));
  const levels = rows[0];
  if (!levels) throw new HierarchyError('the file is empty');
  if (rows.length < 2) throw new HierarchyError('the CSV has a header row but no class rows');
  const classes: Record<string, string[]> = {};
  const rowOf = new Map<string, number>();
  rows.slice(1).forEach((row, i) => {
    const at = i + 2; // 1-based, the header being row 1 (blank lines are not counted)
    if (row.length !== levels.length)
      throw new HierarchyError(`row ${at} has ${row.length} column(s), the header ${levels.length} (${levels.join(', ')}): ${JSON.stringify(row)}`);
    const leaf = row[row.length - 1]!;
    if (rowOf.has(leaf)) throw new HierarchyError(`class '${leaf}' is listed twice (rows ${rowOf.get(leaf)} and ${at})`);
    rowOf.set(leaf, at);
    classes[leaf] = row.slice(0, -1);
  });
  return { levels, classes };
}
