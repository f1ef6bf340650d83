/**
 * A class hierarchy: the model's classes (the leaves) grouped into coarser levels, e.g. car
 * series under models under makes. Levels are named top-down (`['make', 'model', 'series']`);
 * the last level is the leaf level, whose nodes are the classes themselves, in class order.
 *
 * Every leaf has a node at every level (all leaves have the same depth), a node has one
 * parent, and a node name is unique across the whole hierarchy, so that a claim ("Audi",
 * "Audi S4 Sedan") names exactly one node. The constructors (`hierarchyFromNames`,
 * `hierarchyFromMapping`, `hierarchyFromPaths`, `readHierarchyFile`) all end here, so these
 * rules are checked in one place.
 *
 * @example
 *   const h = new ClassHierarchy(['Audi S4 Sedan 2012', 'BMW M3 Coupe 2012'], ['make', 'series'], [['Audi'], ['BMW']]);
 *   h.pathOf(1); // ['BMW', 'BMW M3 Coupe 2012']
 */
import { HierarchyError, listSome } from './errors.js';

/** One node of a hierarchy: a class (at the leaf level) or a group of classes. */
export interface HierarchyNode {
  /** Its name, unique across the hierarchy. */
  readonly name: string;
  /** Its level's index (0 = the top level). */
  readonly level: number;
  /** Its parent's index among the nodes of the level above; -1 at the top level. */
  readonly parent: number;
  /** Its children's indices among the nodes of the level below (none at the leaf level). */
  readonly children: readonly number[];
  /** The classes (leaf indices) under it, ascending. */
  readonly leaves: readonly number[];
}

/** A hierarchy as data: what `hierarchy.json` holds and what `toMapping()` gives back. */
export interface HierarchyMapping {
  /** Level names, top-down; the last names the leaf level (the classes). */
  levels: string[];
  /** For every class, the names of its ancestors top-down (one per level above the leaf level). */
  classes: Record<string, string[]>;
}

/** Where a node is: its level and its index among that level's nodes. */
export interface NodeRef {
  /** The level's index (0 = the top level). */
  level: number;
  /** The node's index in `nodes[level]`. */
  index: number;
}

/**
 * A checked, indexed hierarchy over a model's classes (see the module comment): its levels,
 * its nodes per level, and every class's path through them. Made by the constructors
 * (`hierarchyFromNames`, `hierarchyFromMapping`, `hierarchyFromPaths`, `readHierarchyFile`)
 * or directly from ancestor names.
 */
export class ClassHierarchy {
  /** Level names, top-down; the last is the leaf level. */
  readonly levels: readonly string[];
  /** The classes (leaves), in the model's output order. */
  readonly classes: readonly string[];
  /** The nodes of every level; the leaf level's nodes are the classes, in class order. */
  readonly nodes: readonly (readonly HierarchyNode[])[];
  /** For every class, the index of its node at every level (the last is the class index itself). */
  readonly leafPath: readonly (readonly number[])[];
  private readonly byName = new Map<string, NodeRef>();

  /**
   * Checks and indexes a hierarchy. `ancestors[i]` names class i's ancestors top-down, one per
   * level above the leaf level. Throws a HierarchyError naming the offenders when the levels are
   * not unique, a class appears twice, a path has the wrong length or an empty name, a node
   * has two parents or a name is used at two levels.
   */
  constructor(classes: readonly string[], levels: readonly string[], ancestors: readonly (readonly string[])[]) {
    if (!classes.length) throw new HierarchyError('a hierarchy needs at least one class');
    if (!levels.length || levels.some((l) => typeof l !== 'string' || !l.trim()))
      throw new HierarchyError(`level names must be non-empty strings, got ${JSON.stringify(levels)}`);
    if (new Set(levels).size !== levels.length) throw new HierarchyError(`level names must differ, got ${JSON.stringify(levels)}`);
    if (ancestors.length !== classes.length) throw new HierarchyError(`${classes.length} classes but ${ancestors.length} paths`);
    const seenClasses = new Set<string>();
    const twice = classes.filter((c) => seenClasses.has(c) || !seenClasses.add(c));
    if (twice.length) throw new HierarchyError(`a class appears once in a hierarchy; twice: ${listSome([...new Set(twice)])}`);
    const depth = levels.length - 1;
    const badDepth = classes.filter((_, i) => ancestors[i]!.length !== depth);
    if (badDepth.length)
      throw new HierarchyError(
        `every class needs ${depth} ancestor name(s) (levels ${levels.slice(0, depth).join(', ')} above '${levels[depth]}'); these have another number: ${listSome(badDepth)}`,
      );
    const badName = classes.filter((c, i) => !c.trim() || ancestors[i]!.some((a) => typeof a !== 'string' || !a.trim()));
    if (badName.length) throw new HierarchyError(`names in a hierarchy must be non-empty; empty ones in the paths of ${listSome(badName)}`);
    this.levels = [...levels];
    this.classes = [...classes];
    const nodes: { name: string; level: number; parent: number; children: number[]; leaves: number[] }[][] = levels.map(() => []);
    this.leafPath = classes.map((c, leaf) => {
      const names = [...ancestors[leaf]!, c];
      const path: number[] = [];
      names.forEach((name, level) => {
        const parent = level ? path[level - 1]! : -1;
        const seen = this.byName.get(name);
        let index = seen?.index;
        if (seen && seen.level !== level)
          throw new HierarchyError(`'${name}' names a node at two levels (${levels[seen.level]} and ${levels[level]}): a claim must name one node`);
        if (index === undefined) {
          index = nodes[level]!.length;
          nodes[level]!.push({ name, level, parent, children: [], leaves: [] });
          this.byName.set(name, { level, index });
          if (level) nodes[level - 1]![parent]!.children.push(index);
        } else if (nodes[level]![index]!.parent !== parent) {
          const before = nodes[level - 1]![nodes[level]![index]!.parent]!.name;
          throw new HierarchyError(`'${name}' (${levels[level]}) is under both '${before}' and '${names[level - 1]}': a node has one parent`);
        }
        nodes[level]![index]!.leaves.push(leaf);
        path.push(index);
      });
      return path;
    });
    this.nodes = nodes;
  }

  /** The number of levels (the leaf level included). */
  get depth(): number {
    return this.levels.length;
  }

  /**
   * The node names of a class's path, top-down (the last is the class name).
   *
   * @example
   *   h.pathOf(h.classes.indexOf('Audi S4 Sedan 2012')); // ['Audi', 'Audi S4 Sedan', 'Audi S4 Sedan 2012']
   */
  pathOf(classIndex: number): string[] {
    const path = this.leafPath[classIndex];
    if (!path) throw new RangeError(`class index ${classIndex} is outside 0..${this.classes.length - 1}`);
    return path.map((index, level) => this.nodes[level]![index]!.name);
  }

  /**
   * Where the node of this exact name is, or undefined.
   *
   * @example
   *   h.nodeNamed('Audi'); // { level: 0, index: 0 }
   */
  nodeNamed(name: string): NodeRef | undefined {
    return this.byName.get(name);
  }

  /**
   * The hierarchy as data (the `hierarchy.json` shape), for storing it.
   *
   * @example
   *   JSON.stringify(h.toMapping()); // {"levels":["make","model","series"],"classes":{"Audi S4 Sedan 2012":["Audi","Audi S4 Sedan"],…}}
   */
  toMapping(): HierarchyMapping {
    const classes: Record<string, string[]> = {};
    this.classes.forEach((c, i) => (classes[c] = this.pathOf(i).slice(0, -1)));
    return { levels: [...this.levels], classes };
  }
}
