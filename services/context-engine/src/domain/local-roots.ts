import { sep } from 'node:path';

/** The configured root a checkout lies in (both resolved to real paths), if any: `/a/b` holds `/a/b` and `/a/b/c`, not `/a/bc`. */
export function rootHolding(checkout: string, roots: readonly string[]): string | undefined {
  return roots.find((root) => checkout === root || checkout.startsWith(root.endsWith(sep) ? root : root + sep));
}
