/**
 * A hierarchy read off the class names themselves, by a documented pattern. One pattern is
 * built in, `'make-model-year'`, for Stanford Cars style names "Make Model… Body Year"
 * ("Audi S4 Sedan 2012", "Mercedes-Benz C-Class Sedan 2012", "BMW ActiveHybrid 5 Sedan 2012"):
 *
 * - make: the first space-separated token ("Audi", "Mercedes-Benz"), or one of
 *   `options.makes` when the name starts with it followed by a space (multi-word makes such as
 *   "Land Rover" or "Aston Martin" in the full Stanford Cars set);
 * - model: the name without its trailing year ("Audi S4 Sedan"): the model and its body style,
 *   which is what a listing names before the year;
 * - series: the full name (the class itself).
 *
 * A name fits when it is the make, a space, at least one more token, a space and a 4-digit
 * year at the end, with single spaces. Names that do not fit are listed in the error, all of
 * them at once, rather than being given a made-up place.
 *
 * @example
 *   const h = hierarchyFromNames(['Audi S4 Sedan 2007', 'Audi S4 Sedan 2012', 'BMW M3 Coupe 2012'], 'make-model-year');
 *   h.levels;    // ['make', 'model', 'series']
 *   h.pathOf(0); // ['Audi', 'Audi S4 Sedan', 'Audi S4 Sedan 2007']
 */
import { ClassHierarchy } from './class-hierarchy.js';
import { HierarchyError, listSome } from './errors.js';

/** The built-in name patterns (see the module comment). */
export const NAME_PATTERNS = ['make-model-year'] as const;
/** A built-in name pattern. */
export type NamePattern = (typeof NAME_PATTERNS)[number];

/** Options of `hierarchyFromNames`. */
export interface NamePatternOptions {
  /** Makes of more than one word, matched at the start of a name before the first-token rule. */
  makes?: readonly string[];
}

const YEAR_AT_END = /^(\S+(?: \S+)*) (\d{4})$/;

/**
 * The hierarchy a pattern reads off the class names. Throws a HierarchyError listing every
 * name that does not fit.
 *
 * @example
 *   hierarchyFromNames(['Land Rover Range Rover SUV 2012'], 'make-model-year', { makes: ['Land Rover'] }).pathOf(0);
 *   // ['Land Rover', 'Land Rover Range Rover SUV', 'Land Rover Range Rover SUV 2012']
 */
export function hierarchyFromNames(classes: readonly string[], pattern: NamePattern, options: NamePatternOptions = {}): ClassHierarchy {
  if (!NAME_PATTERNS.includes(pattern)) throw new HierarchyError(`unknown name pattern '${pattern}' (known: ${NAME_PATTERNS.join(', ')})`);
  // The longest make first, so that "Land Rover" wins over a make "Land".
  const makes = [...(options.makes ?? [])].sort((a, b) => b.length - a.length);
  const misfits: string[] = [];
  const ancestors = classes.map((name) => {
    const parts = makeModelYear(name, makes);
    if (!parts) misfits.push(name);
    return parts ?? [];
  });
  if (misfits.length)
    throw new HierarchyError(
      `${misfits.length} class name(s) do not fit the pattern '${pattern}' ("Make Model… Body Year", e.g. "Audi S4 Sedan 2012"): ${listSome(misfits, 10)}`,
    );
  return new ClassHierarchy(classes, ['make', 'model', 'series'], ancestors);
}

/** [make, model] of a "Make Model… Year" name, or null when it does not fit. */
function makeModelYear(name: string, makes: readonly string[]): [string, string] | null {
  const m = YEAR_AT_END.exec(name);
  if (!m) return null;
  const model = m[1]!;
  const make = makes.find((k) => model.startsWith(k + ' ')) ?? model.split(' ')[0]!;
  return model.length > make.length ? [make, model] : null;
}
