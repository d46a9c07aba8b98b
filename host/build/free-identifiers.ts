// Which global names a script reads: a small scope pass over an acorn (ESTree) tree.
//
// A regex over the bundle's text cannot tell `require(x)` from `obj.require` or a local named
// `module`; this pass can. Declarations are gathered per scope (var and function parameters in
// the function, let/const/class in the block, function declarations in their block as strict
// mode has it), every identifier in a reading or writing position is remembered with its scope,
// and once the whole tree is seen each is resolved outwards. What no scope declares is free.
import type { Node } from 'acorn';
import { eachChild, isNode, type AnyNode } from './ast.ts';

export interface FreeUse {
  name: string;
  /** 1-based line of the first use. */
  line: number;
  /** Every use is `typeof name`, which cannot throw even when the global is missing. */
  typeofOnly: boolean;
}

class Scope {
  readonly names = new Set<string>();
  constructor(
    readonly parent: Scope | null,
    readonly isFunction: boolean,
  ) {}

  functionScope(): Scope {
    let s: Scope = this;
    while (!s.isFunction && s.parent) s = s.parent;
    return s;
  }

  declares(name: string): boolean {
    for (let s: Scope | null = this; s; s = s.parent) if (s.names.has(name)) return true;
    return false;
  }
}




interface Ref {
  name: string;
  scope: Scope;
  start: number;
  typeofOnly: boolean;
}

/** Free identifiers of a program parsed by acorn (with `locations` off: lines come from `source`). */
export function freeIdentifiers(program: Node, source: string): FreeUse[] {
  const refs: Ref[] = [];
  const root = new Scope(null, true);

  const declarePattern = (p: unknown, scope: Scope, visitExpr: (n: unknown, s: Scope) => void): void => {
    if (!isNode(p)) return;
    switch (p.type) {
      case 'Identifier':
        scope.names.add(p.name as string);
        return;
      case 'ObjectPattern':
        for (const prop of p.properties as AnyNode[]) {
          if (prop.type === 'RestElement') declarePattern(prop.argument, scope, visitExpr);
          else {
            if (prop.computed) visitExpr(prop.key, scope);
            declarePattern(prop.value, scope, visitExpr);
          }
        }
        return;
      case 'ArrayPattern':
        for (const el of p.elements as unknown[]) declarePattern(el, scope, visitExpr);
        return;
      case 'RestElement':
        declarePattern(p.argument, scope, visitExpr);
        return;
      case 'AssignmentPattern':
        declarePattern(p.left, scope, visitExpr);
        visitExpr(p.right, scope);
        return;
      default:
        // A member expression can only be an assignment target, not a declaration; visit it.
        visitExpr(p, scope);
    }
  };

  // Declarations that are visible in the whole block before their statement runs (hoisting):
  // gathered when a block is entered, so uses earlier in the block resolve to them.
  const hoistBlock = (body: unknown[], scope: Scope): void => {
    for (const st of body) {
      if (!isNode(st)) continue;
      if (st.type === 'FunctionDeclaration' && isNode(st.id)) scope.names.add(st.id.name as string);
      if (st.type === 'ClassDeclaration' && isNode(st.id)) scope.names.add(st.id.name as string);
      if (st.type === 'VariableDeclaration' && st.kind !== 'var') {
        for (const d of st.declarations as AnyNode[]) declarePattern(d.id, scope, () => undefined);
      }
    }
  };
  // `var` reaches its function scope from anywhere inside nested blocks.
  const hoistVars = (node: unknown, scope: Scope): void => {
    if (!isNode(node)) return;
    if (node.type === 'VariableDeclaration' && node.kind === 'var') {
      for (const d of node.declarations as AnyNode[]) declarePattern(d.id, scope, () => undefined);
    }
    if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression') return;
    eachChild(node, (c) => hoistVars(c, scope));
  };

  const visitFunction = (fn: AnyNode, outer: Scope): void => {
    let scope = outer;
    if (fn.type === 'FunctionExpression' && isNode(fn.id)) {
      // A named function expression sees its own name.
      scope = new Scope(outer, false);
      scope.names.add(fn.id.name as string);
    }
    const inner = new Scope(scope, true);
    if (fn.type !== 'ArrowFunctionExpression') inner.names.add('arguments');
    for (const p of fn.params as unknown[]) declarePattern(p, inner, visit);
    const body = fn.body as AnyNode;
    if (body.type === 'BlockStatement') {
      hoistVars(body, inner);
      hoistBlock(body.body as unknown[], inner);
      for (const st of body.body as unknown[]) visit(st, inner);
    } else {
      visit(body, inner);
    }
  };

  function visitChildren(node: AnyNode, scope: Scope): void {
    eachChild(node, (c) => visit(c, scope));
  }

  function visit(n: unknown, scope: Scope): void {
    if (!isNode(n)) return;
    switch (n.type) {
      case 'Identifier':
        refs.push({ name: n.name as string, scope, start: n.start, typeofOnly: false });
        return;
      case 'UnaryExpression':
        if (n.operator === 'typeof' && isNode(n.argument) && n.argument.type === 'Identifier') {
          refs.push({ name: n.argument.name as string, scope, start: n.argument.start, typeofOnly: true });
          return;
        }
        visitChildren(n, scope);
        return;
      case 'MemberExpression':
        visit(n.object, scope);
        if (n.computed) visit(n.property, scope);
        return;
      case 'Property':
      case 'MethodDefinition':
      case 'PropertyDefinition':
        if (n.computed) visit(n.key, scope);
        visit(n.value, scope);
        return;
      case 'LabeledStatement':
        visit(n.body, scope);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
        return;
      case 'VariableDeclaration': {
        const target = n.kind === 'var' ? scope.functionScope() : scope;
        for (const d of n.declarations as AnyNode[]) {
          declarePattern(d.id, target, visit);
          visit(d.init, scope);
        }
        return;
      }
      case 'FunctionDeclaration':
        if (isNode(n.id)) scope.names.add(n.id.name as string);
        visitFunction(n, scope);
        return;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        visitFunction(n, scope);
        return;
      case 'ClassDeclaration':
      case 'ClassExpression': {
        if (n.type === 'ClassDeclaration' && isNode(n.id)) scope.names.add(n.id.name as string);
        const inner = new Scope(scope, false);
        if (isNode(n.id)) inner.names.add(n.id.name as string);
        visit(n.superClass, scope);
        visit(n.body, inner);
        return;
      }
      case 'BlockStatement':
      case 'StaticBlock': {
        const inner = new Scope(scope, false);
        hoistBlock(n.body as unknown[], inner);
        for (const st of n.body as unknown[]) visit(st, inner);
        return;
      }
      case 'SwitchStatement': {
        visit(n.discriminant, scope);
        const inner = new Scope(scope, false);
        for (const c of n.cases as AnyNode[]) hoistBlock(c.consequent as unknown[], inner);
        for (const c of n.cases as AnyNode[]) {
          visit(c.test, inner);
          for (const st of c.consequent as unknown[]) visit(st, inner);
        }
        return;
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        // `for (let i …)` gets a scope of its own around the loop.
        const inner = new Scope(scope, false);
        visitChildren(n, inner);
        return;
      }
      case 'CatchClause': {
        const inner = new Scope(scope, false);
        declarePattern(n.param, inner, visit);
        visit(n.body, inner);
        return;
      }
      case 'Program': {
        hoistVars(n, scope);
        hoistBlock(n.body as unknown[], scope);
        for (const st of n.body as unknown[]) visit(st, scope);
        return;
      }
      default:
        visitChildren(n, scope);
    }
  }

  visit(program, root);

  const lineStarts: number[] = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (pos: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };

  const free = new Map<string, FreeUse>();
  for (const r of refs) {
    if (r.scope.declares(r.name)) continue;
    const known = free.get(r.name);
    if (!known) free.set(r.name, { name: r.name, line: lineOf(r.start), typeofOnly: r.typeofOnly });
    else if (!r.typeofOnly && known.typeofOnly) free.set(r.name, { name: r.name, line: lineOf(r.start), typeofOnly: false });
  }
  return [...free.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
