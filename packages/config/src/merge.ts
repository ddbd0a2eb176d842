export type Tree = Record<string, unknown>;

/** Deep merge of plain objects; arrays and scalars in `over` replace those in `base`. */
export function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] =
      typeof value === 'object' && value !== null && !Array.isArray(value) && typeof prev === 'object' && prev !== null && !Array.isArray(prev)
        ? merge(prev as Tree, value as Tree)
        : value;
  }
  return out;
}
