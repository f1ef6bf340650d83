/**
 * A hierarchy from a mapping written by hand or by a script: the way to group classes whose
 * names say nothing about their groups (cub100's "001.Black_footed_Albatross" under its family
 * and order). The mapping's shape, which `hierarchy.json` holds:
 *
 * ```json
 * {
 *   "levels": ["make", "model", "series"],
 *   "classes": {
 *     "Audi S4 Sedan 2012": ["Audi", "Audi S4 Sedan"],
 *     "BMW M3 Coupe 2012": ["BMW", "BMW M3 Coupe"]
 *   }
 * }
 * ```
 *
 * `levels` names the levels top-down, the last being the leaf level (the model's classes);
 * `classes` gives every class the names of its ancestors, top-down, one per level above the
 * leaf level. Other keys are ignored (the checkpoint sidecar adds `format` and `thresholds`).
 * The mapping must name exactly the model's classes: a class it lacks and a name that is not a
 * class are both errors, listed.
 *
 * @example
 *   const h = hierarchyFromMapping(classes, JSON.parse(readFileSync('hierarchy.json', 'utf8')));
 */
import { ClassHierarchy, type HierarchyMapping } from './class-hierarchy.js';
import { HierarchyError, listSome } from './errors.js';

/**
 * The hierarchy a mapping (parsed `hierarchy.json`, or `toMapping()`'s output) gives the
 * classes. Throws a HierarchyError on a malformed mapping, on classes it lacks or names that
 * are not classes, and on everything `ClassHierarchy` refuses (a node with two parents, paths
 * of different lengths).
 *
 * @example
 *   hierarchyFromMapping(['a', 'b'], { levels: ['group', 'class'], classes: { a: ['x'], b: ['x'] } }).nodes[0]; // [{ name: 'x', leaves: [0, 1], … }]
 */
export function hierarchyFromMapping(classes: readonly string[], mapping: unknown): ClassHierarchy {
  const m = checkMapping(mapping);
  const known = new Set(classes);
  const unknown = Object.keys(m.classes).filter((c) => !known.has(c));
  if (unknown.length) throw new HierarchyError(`the mapping names ${unknown.length} class(es) the model does not have: ${listSome(unknown)}`);
  const missing = classes.filter((c) => !Object.hasOwn(m.classes, c));
  if (missing.length) throw new HierarchyError(`the mapping lacks ${missing.length} of the model's classes: ${listSome(missing)}`);
  return new ClassHierarchy(
    classes,
    m.levels,
    classes.map((c) => m.classes[c]!),
  );
}

/** The value as a HierarchyMapping, or a HierarchyError saying what is wrong with its shape. */
export function checkMapping(value: unknown): HierarchyMapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HierarchyError(`a hierarchy mapping is an object { levels: [...], classes: { "<class>": [...ancestors] } }, got ${describe(value)}`);
  const { levels, classes } = value as Record<string, unknown>;
  if (!Array.isArray(levels) || !levels.every((l) => typeof l === 'string'))
    throw new HierarchyError(`the mapping's "levels" must be an array of level names, got ${describe(levels)}`);
  if (typeof classes !== 'object' || classes === null || Array.isArray(classes))
    throw new HierarchyError(`the mapping's "classes" must be an object from class name to its ancestors, got ${describe(classes)}`);
  const bad = Object.entries(classes).filter(([, a]) => !Array.isArray(a) || !a.every((n) => typeof n === 'string'));
  if (bad.length) throw new HierarchyError(`every class maps to an array of ancestor names; not so for ${listSome(bad.map(([c]) => c))}`);
  return { levels, classes: classes as Record<string, string[]> };
}

function describe(v: unknown): string {
  return v === undefined ? 'nothing' : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v;
}
