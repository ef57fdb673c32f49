import { dirname, sep } from 'node:path';
import { IConstruct } from 'constructs';

/** Where the library's own modules live (`lib/`, next to this folder's parent). */
const LIBRARY_ROOT = dirname(dirname(__dirname)) + sep;

/**
 * The construct classes the library's loaded modules export: every function exported by a module
 * under `lib/` in Node's module cache (the library's constructs are loaded once the app uses them).
 */
function libraryClasses(): Set<unknown> {
  const classes = new Set<unknown>();
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!mod || !file.startsWith(LIBRARY_ROOT) || file.includes(`${sep}node_modules${sep}`, LIBRARY_ROOT.length)) continue;
    const exported = mod.exports as Record<string, unknown> | undefined;
    for (const value of Object.values(exported ?? {})) if (typeof value === 'function') classes.add(value);
  }
  return classes;
}

/**
 * The paths of the outermost constructs of `root`'s tree that are instances of the library's
 * construct classes: what the library built, as opposed to the consumer's own resources.
 */
export function libraryConstructPaths(root: IConstruct): string[] {
  const classes = libraryClasses();
  const paths: string[] = [];
  const visit = (c: IConstruct): void => {
    if (classes.has(c.constructor)) {
      paths.push(c.node.path);
      return;
    }
    for (const child of c.node.children) visit(child);
  };
  visit(root);
  return paths;
}

/** Whether `path` is one of `libraryPaths` or below one. */
export function isUnderAny(path: string, libraryPaths: readonly string[]): boolean {
  return libraryPaths.some((p) => path === p || path.startsWith(`${p}/`));
}
