/**
 * A hierarchy from nested folders: classes named by their folder path with '/'
 * ("Audi/S4 Sedan/2012"). Each level's node is named by its path prefix ("Audi",
 * "Audi/S4 Sedan", "Audi/S4 Sedan/2012"), so that "2012" under Audi and "2012" under BMW
 * stay two nodes and every name stays unique; the leaf's name is its class name.
 *
 * @example
 *   const h = hierarchyFromPaths(['Audi/S4 Sedan/2012', 'Audi/S4 Sedan/2007', 'BMW/M3 Coupe/2012'], ['make', 'model', 'series']);
 *   h.pathOf(0); // ['Audi', 'Audi/S4 Sedan', 'Audi/S4 Sedan/2012']
 */
import { ClassHierarchy } from './class-hierarchy.js';
import { HierarchyError, listSome } from './errors.js';

/**
 * The hierarchy of '/'-separated class paths. Levels default to `level1` … `levelN`; when given
 * they must be as many as the paths' parts. Every class must have the same number of parts
 * and no empty part (a leading, trailing or doubled '/').
 *
 * @example
 *   hierarchyFromPaths(['a/x', 'b/y']).levels; // ['level1', 'level2']
 */
export function hierarchyFromPaths(classes: readonly string[], levels?: readonly string[]): ClassHierarchy {
  const parts = classes.map((c) => c.split('/'));
  const empty = classes.filter((_, i) => parts[i]!.some((p) => !p.trim()));
  if (empty.length) throw new HierarchyError(`class paths must not have empty parts (a leading, trailing or doubled '/'): ${listSome(empty)}`);
  const depth = parts[0]?.length ?? 0;
  const uneven = classes.filter((_, i) => parts[i]!.length !== depth);
  if (uneven.length)
    throw new HierarchyError(`every class path must have the same number of parts ('${classes[0]}' has ${depth}); these differ: ${listSome(uneven)}`);
  const names = levels ?? Array.from({ length: depth }, (_, i) => `level${i + 1}`);
  if (names.length !== depth) throw new HierarchyError(`${names.length} level names given for class paths of ${depth} parts`);
  const ancestors = parts.map((p) => p.slice(0, -1).map((_, l) => p.slice(0, l + 1).join('/')));
  return new ClassHierarchy(classes, names, ancestors);
}
