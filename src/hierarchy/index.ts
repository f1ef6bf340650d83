/**
 * Class hierarchies: the classes grouped into coarser levels (car series under models under
 * makes), from class names, a mapping file or nested folders.
 *
 * @example
 *   import { hierarchyFromNames } from './index.js';
 *   const h = hierarchyFromNames(classes, 'make-model-year');
 *   h.pathOf(0); // ['Audi', 'Audi 100 Sedan', 'Audi 100 Sedan 1994']
 *
 * @module
 */
export { ClassHierarchy, type HierarchyNode, type HierarchyMapping, type NodeRef } from './class-hierarchy.js';
export { HierarchyError, UnknownClaimError } from './errors.js';
export { hierarchyFromNames, NAME_PATTERNS, type NamePattern, type NamePatternOptions } from './from-names.js';
export { hierarchyFromMapping } from './from-mapping.js';
export { hierarchyFromPaths } from './from-paths.js';
export { readHierarchyFile, csvMapping } from './read-file.js';
