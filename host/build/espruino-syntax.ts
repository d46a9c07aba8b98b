// What Espruino 2v29 cannot run, found on the syntax tree. This module is the ONE list of it:
// the Espruino build refuses a bundle with any of it, and the virtual Espruino's syntax gate fails
// a program with any of it, so the two cannot disagree. Every item was checked on the real
// interpreter (../shared/runtime-facts.md, "Espruino"), except where a note says otherwise.
//
// A regex cannot tell `Math.fround` from a local `Math`, or a destructuring from an object
// literal; the tree can. One walk records the syntax Espruino lacks as it goes, and every
// declaration and identifier use with its scope; once the whole tree is seen, uses are resolved
// outwards. That gives the free (global) names, which are checked against the missing built-ins,
// and the uses that rely on hoisting, which Espruino does not do.
//
// One rule is the build's alone: a number literal Espruino reads as another double
// (`inexactDecimal`; espruino-number.ts has how it reads). The board runs such code, only with
// different numbers, so the virtual Espruino reads it as the board does instead of failing it:
// espruinoFindings reports it only when asked (`inexactDecimals`), and espruinoProblems, the
// build's check, asks.
import { parse, type Node } from 'acorn';
import { espruinoExactForm, espruinoParseNumber } from './espruino-number.ts';
import { NODE_ONLY_GLOBALS } from './firmware.ts';
import { eachChild, isNode, type AnyNode } from './ast.ts';

export interface EspruinoProblem {
  /** 1-based line in the code given. */
  line: number;
  /** 0-based column in the code given. */
  column: number;
  /** What it is and what to write instead, e.g. "labelled break (Espruino reads the label as a variable)". */
  what: string;
}

/** Syntax Espruino 2v29 lacks (or runs wrongly), by rule. */
export const ESPRUINO_MISSING_SYNTAX = {
  destructuring: 'destructuring (Espruino has none: read the fields one by one)',
  spread: 'spread `...` (Espruino has none: copy in a loop, or pass the arguments one by one)',
  rest: 'rest `...` (Espruino has none: use a plain parameter, or `arguments`)',
  defaultParameter: 'default parameter (Espruino has none: test for undefined in the body)',
  optionalChain: 'optional chaining `?.` (Espruino has none: test for null first)',
  exponent: '`**` (Espruino has none: multiply, or keep a running product)',
  exponentAssign: '`**=` (Espruino has none: multiply, or keep a running product)',
  computedKey: 'computed key `[...]` in an object literal or class (Espruino has none: assign obj[key] after creating it)',
  generator: 'generator function (Espruino has none)',
  async: 'async function or for await (Espruino has none: use callbacks or promises)',
  privateMember: '`#private` member (Espruino has none: use a plain property)',
  label: 'label (Espruino reads the label as a variable)',
  labelledBreak: 'labelled break (Espruino reads the label as a variable)',
  labelledContinue: 'labelled continue (Espruino reads the label as a variable)',
  bigint: 'BigInt literal (Espruino has none)',
  inexactDecimal: "a decimal Espruino reads inexactly (its parser sums digit·0.1ᵏ, so the value differs from the desktop's)",
  functionHoisting: 'used before its function declaration (Espruino defines a function only when its declaration runs)',
  varAssignHoisting: 'assigned before its `var` (Espruino does not hoist var: the assignment writes a global)',
  varReadHoisting: 'read before its `var` (Espruino does not hoist var: the name is not defined yet)',
  forLetClosure: 'read by a function created in the loop that declares it (on Espruino every such closure sees the last value: copy it with `let k = i` in the body)',
  parse: 'does not parse',
} as const;

export type EspruinoSyntaxRule = keyof typeof ESPRUINO_MISSING_SYNTAX;

/**
 * Built-ins Espruino 2v29 lacks, keyed by how the code names them (`.toPrecision` is any such call).
 * `Math.pow` exists but is refused: it is inexact (`Math.pow(2, 53)` is 6 too low), so records
 * would differ from the desktop's.
 */
/**
 * Everything Espruino 2v29 lacks that a program might reach for, by owner: the facts
 * (runtime-facts.md, "Missing built-ins", checked on the interpreter) and, for the rest, what
 * src/jswrap_*.c do not define. One table for both users: the build refuses free uses of the
 * statics and globals (and calls of the prototype methods whose names are distinctive), and the
 * virtual Espruino deletes every one of them from its engine (host/sim/espruino/prelude.ts).
 */
export const ESPRUINO_ABSENT: Readonly<Record<string, readonly string[]>> = {
  Math: ['fround', 'trunc', 'log2', 'log10', 'hypot', 'cbrt', 'log1p', 'expm1', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'clz32', 'imul', 'sumPrecise', 'f16round'],
  Number: ['isFinite', 'isInteger', 'isSafeInteger', 'EPSILON', 'MAX_SAFE_INTEGER', 'MIN_SAFE_INTEGER'],
  'Number.prototype': ['toPrecision', 'toExponential', 'toLocaleString'],
  Array: ['from', 'of', 'fromAsync'],
  'Array.prototype': ['at', 'flat', 'flatMap', 'copyWithin', 'findLast', 'findLastIndex', 'toReversed', 'toSorted', 'toSpliced', 'with'],
  'TypedArray.prototype': ['at', 'findLast', 'findLastIndex', 'toReversed', 'toSorted', 'with', 'copyWithin'],
  String: ['fromCodePoint', 'raw'],
  'String.prototype': ['at', 'isWellFormed', 'toWellFormed', 'normalize', 'codePointAt', 'localeCompare', 'matchAll', 'replaceAll'],
  Object: ['hasOwn', 'groupBy', 'fromEntries'],
  Promise: ['withResolvers', 'try', 'any', 'allSettled'],
  Error: ['captureStackTrace', 'isError'],
  global: [
    'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Symbol', 'Proxy', 'Reflect', 'BigInt', 'BigInt64Array', 'BigUint64Array',
    // Not in the checked facts: Espruino documents `global` and no `globalThis`.
    'globalThis',
    'SharedArrayBuffer', 'Atomics', 'AggregateError', 'Iterator', 'Float16Array', 'InternalError', 'escape', 'unescape', 'encodeURI', 'decodeURI', 'queueMicrotask',
  ],
};

/** Prototype methods refused by name wherever they are called: names no other method of the firmware's shares. */
const DISTINCTIVE_METHODS = ['toPrecision', 'toExponential', 'toLocaleString', 'codePointAt', 'matchAll', 'replaceAll', 'flatMap', 'findLast', 'findLastIndex', 'toReversed', 'toSorted', 'toSpliced', 'isWellFormed', 'toWellFormed', 'localeCompare'];

/** What to do instead, where there is a better answer than "Espruino has none". */
const INSTEAD: Readonly<Record<string, string>> = {
  'Math.fround': 'round through a Float32Array',
  'Math.trunc': 'x < 0 ? Math.ceil(x) : Math.floor(x)',
  'Math.log2': 'Math.log(x) / Math.LN2',
  'Math.log10': 'Math.log(x) / Math.LN10',
  'Math.hypot': 'Math.sqrt of the sum of squares',
  'Math.imul': 'split the factors into 16-bit halves',
  'Number.isFinite': 'typeof x === "number" && isFinite(x)',
  'Number.isInteger': 'typeof x === "number" && Math.floor(x) === x',
  'Number.EPSILON': 'write 2.220446049250313e-16',
  'Array.from': 'fill an array in a loop',
  Map: 'use a plain object or arrays',
  Set: 'use a plain object or arrays',
  '.toPrecision': 'use toFixed, or send the number and format it on the host',
  globalThis: 'Espruino has `global`',
};

function builtinTable(): Record<string, string> {
  const out: Record<string, string> = {
    // Present, but refused: inexact.
    'Math.pow': 'Math.pow (inexact on Espruino: Math.pow(2, 53) is 6 too low; multiply, or keep a running product)',
  };
  const say = (key: string, shown: string): string => `${shown} (Espruino has none${INSTEAD[key] ? ': ' + INSTEAD[key] : ''})`;
  for (const owner of Object.keys(ESPRUINO_ABSENT)) {
    for (const name of ESPRUINO_ABSENT[owner]!) {
      if (owner === 'global') out[name] = say(name, name);
      else if (owner.endsWith('.prototype')) {
        if (DISTINCTIVE_METHODS.includes(name)) out['.' + name] = say('.' + name, `.${name}()`);
      } else out[`${owner}.${name}`] = say(`${owner}.${name}`, `${owner}.${name}`);
    }
  }
  return out;
}

/** The refusal message of each missing built-in: `Owner.name` statics, bare globals, `.method` calls (from ESPRUINO_ABSENT). */
export const ESPRUINO_MISSING_BUILTINS: Readonly<Record<string, string>> = builtinTable();

/**
 * Node globals Espruino does not have: the Kaluma build's list, less `require` (Espruino's own,
 * e.g. `require("Storage")`) and `global` (Espruino's name for the global object).
 */
export const ESPRUINO_NODE_ONLY_GLOBALS: readonly string[] = NODE_ONLY_GLOBALS.filter((g) => g !== 'require' && g !== 'global');

/** A problem with its offset and rule, for the build's lowering pass. */
export interface EspruinoFinding extends EspruinoProblem {
  rule: EspruinoSyntaxRule | 'builtin';
  /** Offset of the offending node in the code. */
  start: number;
  /** The name involved (hoisting and closure rules). */
  name?: string;
  /** var hoisting: the function (or Program) whose scope holds the var. */
  scopeNode?: Node;
}

/** Parses as Espruino would be handed it: one script, any modern syntax (the walk says what is missing). */
export function parseScript(code: string): Node {
  return parse(code, { ecmaVersion: 'latest', sourceType: 'script', locations: true, allowHashBang: false });
}

/**
 * Everything in `code` Espruino 2v29 cannot run, in source order (a parse error is one problem);
 * with `inexactDecimals` (the default here: the build's check), also every number literal it
 * would read as another double.
 */
export function espruinoProblems(code: string, opts: EspruinoFindingOptions = { inexactDecimals: true }): EspruinoProblem[] {
  let program: Node;
  try {
    program = parseScript(code);
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number } };
    return [{ line: e.loc?.line ?? 1, column: e.loc?.column ?? 0, what: `${ESPRUINO_MISSING_SYNTAX.parse}: ${e.message}` }];
  }
  return espruinoFindings(program, opts).map(({ line, column, what }) => ({ line, column, what }));
}

export interface EspruinoFindingOptions {
  /** Report number literals Espruino reads as another double (rule `inexactDecimal`); off by default. */
  inexactDecimals?: boolean;
}

type BindingKind = 'var' | 'let' | 'const' | 'class' | 'function' | 'param' | 'catch' | 'name';

interface Binding {
  kind: BindingKind;
  /** Offset of the first declaration: uses at the same function level before it rely on hoisting. */
  declStart: number;
  scope: Scope;
}

class Scope {
  readonly bindings = new Map<string, Binding>();
  /** `fn`: the function, Program, class field or static block this scope is the body of; null for a block. */
  constructor(
    readonly parent: Scope | null,
    readonly fn: AnyNode | null,
    readonly forLet = false,
  ) {}

  functionScope(): Scope {
    let s: Scope = this;
    while (!s.fn && s.parent) s = s.parent;
    return s;
  }

  declare(name: string, kind: BindingKind, start: number): void {
    const b = this.bindings.get(name);
    if (!b) this.bindings.set(name, { kind, declStart: start, scope: this });
    else if (start < b.declStart) b.declStart = start;
  }

  lookup(name: string): Binding | undefined {
    for (let s: Scope | null = this; s; s = s.parent) {
      const b = s.bindings.get(name);
      if (b) return b;
    }
    return undefined;
  }
}

interface Ref {
  node: AnyNode;
  name: string;
  scope: Scope;
  typeofOnly: boolean;
  write: boolean;
  /** `name.member` read (Math.fround, Math['fround']); the member expression to point at. */
  member?: { name: string; node: AnyNode };
}



/** The static name of a member expression's property: `a.b` and `a['b']`; null for `a[k]`. */
function memberName(m: AnyNode): string | null {
  const p = m.property as AnyNode;
  if (!m.computed) return p.type === 'Identifier' ? (p.name as string) : null;
  return p.type === 'Literal' && typeof p.value === 'string' ? p.value : null;
}

/** Every finding in a program parsed by parseScript (locations on). */
export function espruinoFindings(program: Node, opts: EspruinoFindingOptions = {}): EspruinoFinding[] {
  const found: EspruinoFinding[] = [];
  const refs: Ref[] = [];

  const report = (node: AnyNode, rule: EspruinoFinding['rule'], what: string, extra: Partial<EspruinoFinding> = {}): void => {
    const loc = node.loc!.start;
    found.push({ line: loc.line, column: loc.column, what, rule, start: node.start, ...extra });
  };
  const syntax = (node: AnyNode, rule: EspruinoSyntaxRule): void => report(node, rule, ESPRUINO_MISSING_SYNTAX[rule]);
  const addRef = (node: AnyNode, scope: Scope, opts: Partial<Ref> = {}): void => {
    refs.push({ node, name: node.name as string, scope, typeofOnly: false, write: false, ...opts });
  };

  // A declared pattern: parameters, variables, catch. Only the outermost pattern is reported.
  function bind(p: unknown, kind: BindingKind, target: Scope, scope: Scope, inPattern: boolean): void {
    if (!isNode(p)) return;
    switch (p.type) {
      case 'Identifier':
        target.declare(p.name as string, kind, p.start);
        return;
      case 'ObjectPattern':
        if (!inPattern) syntax(p, 'destructuring');
        for (const prop of p.properties as AnyNode[]) {
          if (prop.type === 'RestElement') bind(prop.argument, kind, target, scope, true);
          else {
            if (prop.computed) visit(prop.key, scope);
            bind(prop.value, kind, target, scope, true);
          }
        }
        return;
      case 'ArrayPattern':
        if (!inPattern) syntax(p, 'destructuring');
        for (const el of p.elements as unknown[]) bind(el, kind, target, scope, true);
        return;
      case 'RestElement':
        if (!inPattern) syntax(p, 'rest');
        bind(p.argument, kind, target, scope, true);
        return;
      case 'AssignmentPattern':
        if (!inPattern) syntax(p, 'defaultParameter');
        bind(p.left, kind, target, scope, inPattern);
        visit(p.right, scope);
        return;
      default:
        visit(p, scope);
    }
  }

  // An assignment target: `x = …`, `[a, b] = …`, `for (x of …)`.
  function assignTo(p: unknown, scope: Scope, inPattern: boolean): void {
    if (!isNode(p)) return;
    switch (p.type) {
      case 'Identifier':
        addRef(p, scope, { write: true });
        return;
      case 'ObjectPattern':
        if (!inPattern) syntax(p, 'destructuring');
        for (const prop of p.properties as AnyNode[]) {
          if (prop.type === 'RestElement') assignTo(prop.argument, scope, true);
          else {
            if (prop.computed) visit(prop.key, scope);
            assignTo(prop.value, scope, true);
          }
        }
        return;
      case 'ArrayPattern':
        if (!inPattern) syntax(p, 'destructuring');
        for (const el of p.elements as unknown[]) assignTo(el, scope, true);
        return;
      case 'RestElement':
        if (!inPattern) syntax(p, 'rest');
        assignTo(p.argument, scope, true);
        return;
      case 'AssignmentPattern':
        assignTo(p.left, scope, inPattern);
        visit(p.right, scope);
        return;
      default:
        visit(p, scope);
    }
  }

  function visitFunction(fn: AnyNode, outer: Scope): void {
    if (fn.generator) syntax(fn, 'generator');
    if (fn.async) syntax(fn, 'async');
    let scope = outer;
    if (fn.type === 'FunctionExpression' && isNode(fn.id)) {
      // A named function expression sees its own name.
      scope = new Scope(outer, null);
      scope.declare(fn.id.name as string, 'name', fn.id.start);
    }
    const inner = new Scope(scope, fn);
    for (const p of fn.params as unknown[]) bind(p, 'param', inner, inner, false);
    const body = fn.body as AnyNode;
    if (body.type === 'BlockStatement') for (const st of body.body as unknown[]) visit(st, inner);
    else visit(body, inner);
  }

  function visitClass(cls: AnyNode, outer: Scope): void {
    visit(cls.superClass, outer);
    const inner = new Scope(outer, null);
    if (isNode(cls.id)) inner.declare(cls.id.name as string, 'class', cls.id.start);
    for (const m of (cls.body as AnyNode).body as AnyNode[]) {
      if (m.type === 'StaticBlock') {
        const s = new Scope(inner, m);
        for (const st of m.body as unknown[]) visit(st, s);
        continue;
      }
      const key = m.key as AnyNode;
      if (m.computed) {
        syntax(key, 'computedKey');
        visit(key, inner);
      } else if (key.type === 'PrivateIdentifier') visit(key, inner);
      if (m.type === 'MethodDefinition') visitFunction(m.value as AnyNode, inner);
      // A field's initialiser runs in the constructor: a function level of its own.
      else if (isNode(m.value)) visit(m.value, new Scope(inner, m));
    }
  }

  function visitMember(m: AnyNode, scope: Scope, typeofOnly: boolean): void {
    const obj = m.object as AnyNode;
    const name = memberName(m);
    if (obj.type === 'Identifier') addRef(obj, scope, { typeofOnly, member: name === null ? undefined : { name, node: m } });
    else visit(obj, scope);
    // `a.b`'s b is a name, not a use; `a.#b` is reported.
    if (m.computed || (m.property as AnyNode).type === 'PrivateIdentifier') visit(m.property, scope);
  }

  function visitChildren(n: AnyNode, scope: Scope): void {
    eachChild(n, (c) => visit(c, scope));
  }

  function visit(n: unknown, scope: Scope): void {
    if (!isNode(n)) return;
    switch (n.type) {
      case 'Identifier':
        addRef(n, scope);
        return;
      case 'PrivateIdentifier':
        syntax(n, 'privateMember');
        return;
      case 'Literal':
        if (n.bigint !== undefined) syntax(n, 'bigint');
        // Keys are never visited (Property and class members visit only computed ones): a value.
        else if (opts.inexactDecimals && typeof n.value === 'number' && typeof n.raw === 'string') {
          const read = espruinoParseNumber(n.raw);
          if (!Object.is(read, n.value)) {
            const form = espruinoExactForm(n.value);
            const fix = form !== null ? `the build lowers it to ${form} wherever that parses as one expression` : 'and no exact form exists (an integer over 10ᵏ with k ≤ 22, or over 2ᵏ with k ≤ 62): use a value that has one, or send it from the host';
            report(n, 'inexactDecimal', `\`${n.raw}\` is ${ESPRUINO_MISSING_SYNTAX.inexactDecimal}: Espruino reads ${read}, not ${n.value}; ${fix}`);
          }
        }
        return;
      case 'VariableDeclaration': {
        const kind = n.kind as BindingKind;
        const target = kind === 'var' ? scope.functionScope() : scope;
        for (const d of n.declarations as AnyNode[]) {
          bind(d.id, kind, target, scope, false);
          visit(d.init, scope);
        }
        return;
      }
      case 'FunctionDeclaration':
        if (isNode(n.id)) scope.declare(n.id.name as string, 'function', n.start);
        visitFunction(n, scope);
        return;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        visitFunction(n, scope);
        return;
      case 'ClassDeclaration':
        if (isNode(n.id)) scope.declare(n.id.name as string, 'class', n.start);
        visitClass(n, scope);
        return;
      case 'ClassExpression':
        visitClass(n, scope);
        return;
      case 'Property':
        if (n.computed) {
          syntax(n.key as AnyNode, 'computedKey');
          visit(n.key, scope);
        }
        visit(n.value, scope);
        return;
      case 'SpreadElement':
        syntax(n, 'spread');
        visit(n.argument, scope);
        return;
      case 'ChainExpression':
        syntax(n, 'optionalChain');
        visit(n.expression, scope);
        return;
      case 'BinaryExpression':
        if (n.operator === '**') syntax(n, 'exponent');
        visit(n.left, scope);
        visit(n.right, scope);
        return;
      case 'AssignmentExpression':
        if (n.operator === '**=') syntax(n, 'exponentAssign');
        assignTo(n.left, scope, false);
        visit(n.right, scope);
        return;
      case 'UpdateExpression':
        assignTo(n.argument, scope, false);
        return;
      case 'UnaryExpression': {
        const arg = n.argument as AnyNode;
        // `typeof X` cannot throw, even when X is missing: a feature test, not a use.
        if (n.operator === 'typeof' && arg.type === 'Identifier') addRef(arg, scope, { typeofOnly: true });
        else if (n.operator === 'typeof' && arg.type === 'MemberExpression') visitMember(arg, scope, true);
        else visit(arg, scope);
        return;
      }
      case 'MemberExpression':
        visitMember(n, scope, false);
        return;
      case 'CallExpression':
      case 'NewExpression': {
        const callee = n.callee as AnyNode;
        const method = callee.type === 'MemberExpression' ? memberName(callee) : null;
        if (method && Object.hasOwn(ESPRUINO_MISSING_BUILTINS, '.' + method)) {
          report(callee.property as AnyNode, 'builtin', ESPRUINO_MISSING_BUILTINS['.' + method]!);
        }
        visitChildren(n, scope);
        return;
      }
      case 'LabeledStatement':
        syntax(n, 'label');
        visit(n.body, scope);
        return;
      case 'BreakStatement':
        if (n.label) syntax(n, 'labelledBreak');
        return;
      case 'ContinueStatement':
        if (n.label) syntax(n, 'labelledContinue');
        return;
      case 'MetaProperty':
        return;
      case 'ForStatement': {
        const init = n.init as AnyNode | null;
        const inner = new Scope(scope, null, init?.type === 'VariableDeclaration' && init.kind === 'let');
        visit(init, inner);
        visit(n.test, inner);
        visit(n.update, inner);
        visit(n.body, inner);
        return;
      }
      case 'ForInStatement':
      case 'ForOfStatement': {
        if (n.await) syntax(n, 'async');
        const left = n.left as AnyNode;
        // Checked on Espruino for `for (let i…)`; for-in and for-of are taken to share its one binding too.
        const inner = new Scope(scope, null, left.type === 'VariableDeclaration' && left.kind !== 'var');
        if (left.type === 'VariableDeclaration') visit(left, inner);
        else assignTo(left, inner, false);
        visit(n.right, inner);
        visit(n.body, inner);
        return;
      }
      case 'BlockStatement': {
        const inner = new Scope(scope, null);
        for (const st of n.body as unknown[]) visit(st, inner);
        return;
      }
      case 'SwitchStatement': {
        visit(n.discriminant, scope);
        const inner = new Scope(scope, null);
        for (const c of n.cases as AnyNode[]) {
          visit(c.test, inner);
          for (const st of c.consequent as unknown[]) visit(st, inner);
        }
        return;
      }
      case 'CatchClause': {
        const inner = new Scope(scope, null);
        bind(n.param, 'catch', inner, inner, false);
        visit(n.body, inner);
        return;
      }
      default:
        visitChildren(n, scope);
    }
  }

  const root = new Scope(null, program as AnyNode);
  for (const st of (program as AnyNode).body as unknown[]) visit(st, root);

  const closureSeen = new Set<string>();
  const banned = new Set(ESPRUINO_NODE_ONLY_GLOBALS);
  for (const r of refs) {
    const b = r.scope.lookup(r.name);
    if (!b) {
      if (r.typeofOnly) continue;
      const member = r.member && ESPRUINO_MISSING_BUILTINS[`${r.name}.${r.member.name}`];
      if (member) report(r.member!.node, 'builtin', member);
      else if (Object.hasOwn(ESPRUINO_MISSING_BUILTINS, r.name)) report(r.node, 'builtin', ESPRUINO_MISSING_BUILTINS[r.name]!);
      else if (banned.has(r.name)) report(r.node, 'builtin', `${r.name} (a Node global: Espruino has none)`);
      continue;
    }
    const refFn = r.scope.functionScope();
    const declFn = b.scope.functionScope();
    const early = r.node.start < b.declStart && refFn === declFn && !r.typeofOnly;
    if (early && b.kind === 'function') {
      report(r.node, 'functionHoisting', `\`${r.name}\` ${ESPRUINO_MISSING_SYNTAX.functionHoisting}`, { name: r.name });
    } else if (early && b.kind === 'var') {
      const rule = r.write ? 'varAssignHoisting' : 'varReadHoisting';
      report(r.node, rule, `\`${r.name}\` ${ESPRUINO_MISSING_SYNTAX[rule]}`, { name: r.name, scopeNode: declFn.fn! });
    } else if ((b.kind === 'let' || b.kind === 'const') && b.scope.forLet && refFn !== declFn) {
      const key = `${b.declStart}:${refFn.fn!.start}`;
      if (closureSeen.has(key)) continue;
      closureSeen.add(key);
      report(r.node, 'forLetClosure', `\`${r.name}\` ${ESPRUINO_MISSING_SYNTAX.forLetClosure}`, { name: r.name });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}
