// QuickJS parses newer JavaScript than the board's JerryScript 2.4 does. Code that would be a
// SyntaxError on the Pico must be one here too, or the simulator would pass what the board rejects.
// Checked on the real engine (runtime-facts.md): optional chaining, logical assignment and private
// class members are SyntaxErrors; class static blocks (ES2022) are rejected with them.
import { parse, type Node } from 'acorn';

export interface SyntaxProblem {
  /** Without the "SyntaxError: " prefix. */
  message: string;
  line: number;
  /** 1-based, as JerryScript counts. */
  column: number;
}

interface Located {
  type: string;
  loc?: { start: { line: number; column: number } };
  [key: string]: unknown;
}

function unsupported(node: Located): string | null {
  switch (node.type) {
    case 'ChainExpression':
      return "optional chaining '?.' is not supported by the board's JavaScript engine";
    case 'AssignmentExpression': {
      const op = node.operator as string;
      if (op === '??=' || op === '||=' || op === '&&=') return `logical assignment '${op}' is not supported by the board's JavaScript engine`;
      return null;
    }
    case 'PrivateIdentifier':
      return "private class members '#name' are not supported by the board's JavaScript engine";
    case 'StaticBlock':
      return "class static blocks are not supported by the board's JavaScript engine";
    default:
      return null;
  }
}

/** Where `?.` is: right after the object or callee of the first optional link in the chain. */
function optionalLink(node: Located): Located['loc'] {
  if (node.optional === true) {
    const inner = (node.object ?? node.callee) as (Located & { loc?: { end: { line: number; column: number } } }) | undefined;
    if (inner?.loc) return { start: inner.loc.end };
  }
  for (const key of ['expression', 'object', 'callee']) {
    const child = node[key] as Located | undefined;
    if (child && typeof child === 'object') {
      const hit = optionalLink(child);
      if (hit) return hit;
    }
  }
  return undefined;
}

function find(node: Located): (Located & { problem: string }) | null {
  const problem = unsupported(node);
  if (problem !== null) {
    const loc = node.type === 'ChainExpression' ? (optionalLink(node) ?? node.loc) : node.loc;
    return { ...node, loc, problem };
  }
  for (const key in node) {
    if (key === 'loc') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) {
        if (item !== null && typeof item === 'object' && typeof (item as Located).type === 'string') {
          const hit = find(item as Located);
          if (hit) return hit;
        }
      }
    } else if (value !== null && typeof value === 'object' && typeof (value as Located).type === 'string') {
      const hit = find(value as Located);
      if (hit) return hit;
    }
  }
  return null;
}

/** Null when JerryScript 2.4 would parse `source` as a script; otherwise where and why not. */
export function checkJerrySyntax(source: string): SyntaxProblem | null {
  let ast: Node;
  try {
    ast = parse(source, { ecmaVersion: 'latest', sourceType: 'script', locations: true });
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number } };
    const message = e.message.replace(/ \(\d+:\d+\)$/, '');
    return { message, line: e.loc?.line ?? 1, column: (e.loc?.column ?? 0) + 1 };
  }
  const hit = find(ast as unknown as Located);
  if (!hit) return null;
  return { message: hit.problem, line: hit.loc?.start.line ?? 1, column: (hit.loc?.start.column ?? 0) + 1 };
}
