/**
 * The class hierarchy with enrolled classes placed in it. An enrolled class's ancestors are
 * the ones given at enrollment (`parents`), else read off its name when the hierarchy has the
 * make → model → series levels of the 'make-model-year' pattern ("Audi Q7 SUV 2012" →
 * Audi, Audi Q7 SUV). A class with neither cannot be placed: its enrollment is refused with a
 * message that says to give `parents`, rather than answers losing their path.
 *
 * @example
 *   const h = extendHierarchy(stored, trainedClasses, enrolled); // null when there is no hierarchy
 */
import { ClassHierarchy } from '../hierarchy/class-hierarchy.js';
import { HierarchyError } from '../hierarchy/errors.js';
import { hierarchyFromNames } from '../hierarchy/from-names.js';
import type { StoredHierarchy } from '../hierarchy/sidecar.js';
import type { EnrolledClasses } from '../enrollment/enrolled-classes.js';

const NAME_LEVELS = ['make', 'model', 'series'];

/** `stored` with the enrolled classes appended as leaves (see the module comment). */
export function extendHierarchy(stored: StoredHierarchy | null, trained: readonly string[], enrolled: EnrolledClasses): StoredHierarchy | null {
  if (!stored) return null;
  const h = stored.hierarchy;
  const depth = h.levels.length - 1;
  const ancestors = trained.map((_, i) => h.leafPath[i]!.slice(0, depth).map((n, level) => h.nodes[level]![n]!.name));
  for (const c of enrolled.classes) {
    let parents = c.parents;
    if (!parents && h.levels.join() === NAME_LEVELS.join()) {
      try {
        const parsed = hierarchyFromNames([c.name], 'make-model-year');
        parents = parsed.leafPath[0]!.slice(0, depth).map((n, level) => parsed.nodes[level]![n]!.name);
      } catch {
        parents = undefined;
      }
    }
    if (!parents || parents.length !== depth)
      throw new HierarchyError(
        `'${c.name}' has no place in the class hierarchy (${h.levels.join(' → ')}): give its ${depth} ancestor(s) top-down (parents, e.g. --parents "Audi/Audi Q7 SUV")`,
      );
    ancestors.push(parents);
  }
  return { ...stored, hierarchy: new ClassHierarchy([...trained, ...enrolled.names], h.levels, ancestors) };
}
