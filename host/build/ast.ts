// Walking acorn's syntax trees, as the build's checks and rewrites do (free-identifiers.ts,
// espruino-syntax.ts, lower-espruino.ts): a node is any object with a string `type`.
import type { Node } from 'acorn';

export type AnyNode = Node & Record<string, unknown>;

export function isNode(v: unknown): v is AnyNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

/** Keys that hold no child: the node's kind and its position. */
const SKIP_KEYS = new Set(['type', 'start', 'end', 'loc', 'range', 'sourceFile']);

/** Calls `visit` on each child node of `n`, in the order of its keys, the items of a list in order. */
export function eachChild(n: AnyNode, visit: (child: AnyNode) => void): void {
  for (const key of Object.keys(n)) {
    if (SKIP_KEYS.has(key)) continue;
    const v = n[key];
    if (Array.isArray(v)) {
      for (const c of v) if (isNode(c)) visit(c);
    } else if (isNode(v)) visit(v);
  }
}
