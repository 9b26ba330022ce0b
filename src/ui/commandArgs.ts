/**
 * What commands receive from the Applications tree: a node that carries its application's
 * entry. Features read only its key, so no feature imports another's tree nodes.
 */

/** The application key (`group|appId`) of a tree node given to a command, else undefined. */
export function appKeyArg(arg: unknown): string | undefined {
  if (typeof arg !== 'object' || arg === null || !('entry' in arg)) return undefined;
  const entry = (arg as { entry?: unknown }).entry;
  const key = typeof entry === 'object' && entry !== null ? (entry as { key?: unknown }).key : undefined;
  return typeof key === 'string' ? key : undefined;
}

/** The application keys of the nodes selected in the tree (a command's second argument). */
export function appKeysArg(list: unknown): string[] {
  return Array.isArray(list) ? list.map(appKeyArg).filter((k): k is string => k !== undefined) : [];
}
