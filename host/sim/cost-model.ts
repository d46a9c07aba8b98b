// The board's clock, as a cost model: what each JavaScript operation costs Kaluma 1.2.1's JerryScript
// on the RP2040, in µs of board time (runtime-facts.md, "Measured on the real firmware").
//
// QuickJS runs the board's programs a hundred times faster than the board and with a different cost
// profile (a call or a `this.p` read is almost free in QuickJS, tens of µs on the board). So the
// simulator does not time QuickJS: it counts what the board would execute. Every piece of JavaScript
// the board evaluates is rewritten (acorn + text insertions) so that each straight run of code adds
// its cost to a global counter before it runs: `__pico_t+=K;` in front of a run of statements, and
// `(__pico_t+=K, expr)` around what runs only sometimes (the branches of `?:`, the right side of
// `&&`/`||`/`??`, loop tests and updates, default parameters). The insertions never add a line
// break, so the line numbers that errors report (`at <anonymous>:LINE`) are the original ones.
//
// A cost K is the sum of the operations in the run, by category (below); the categories' weights are
// calibrated on the table of per-operation costs and the hand-written loops (see calibrate notes in
// README.md). Built-ins whose cost is their own (toPrecision, String(float), JSON.stringify,
// console.log per character...) are charged where they run: by wrappers installed in the sandbox
// (pace-prelude.ts) or by the host (console output, parsing).
import { parse, type Node } from 'acorn';

/** Cost categories. Static ones are counted in the source; dynamic ones where the built-in runs. */
export const CATEGORIES = [
  // one loop turn: the test's jump back and bookkeeping (the test's operands are counted apart)
  'loop',
  // variables: function-local (a register in JerryScript), captured or from an outer function
  // (a lexical environment lookup), script-level or built-in (the global object)
  'localRead',
  'localWrite',
  'closureRead',
  'closureWrite',
  'globalRead',
  'globalWrite',
  // each function boundary a closure or global lookup walks through
  'hop',
  'literal',
  'compare',
  // arithmetic whose result is a small integer (no allocation in JerryScript) or a float (a heap number)
  'intOp',
  'floatOp',
  // !, typeof, the branch of if / ?: / && / ||
  'logic',
  // a[i] and obj.p
  'elemRead',
  'elemWrite',
  'propRead',
  'propWrite',
  // a call site, per argument, the extra of a method call, a JavaScript function's entry
  'call',
  'callArg',
  'method',
  'fnEntry',
  // object, array, closure or `new` allocation
  'alloc',
  // built-ins (dynamic): Math.*; number → text; text → number; String(x) of a float
  'mathCall',
  'numFormat',
  'intFormat',
  'numberParse',
  'stringOf',
  'jsonCall',
  'jsonChar',
  // String.prototype and String.fromCharCode; Array/TypedArray methods and their elements
  'strMethod',
  'arrayMethod',
  'nativeElem',
  // console.log / print: per call and per character on the USB serial
  'logCall',
  'logChar',
  // JerryScript's parser, per character of source it compiles (program, REPL line, new Function)
  'parseChar',
] as const;

export type Category = (typeof CATEGORIES)[number];
export type CostWeights = Record<Category, number>;

/**
 * µs of board time per operation. Derived from runtime-facts.md's table (each row's loop is 11 µs:
 * a test `i < N`, `i++` and the jump) and then fitted on its hand-loop column: see host/sim/README.md
 * ("Speed") for the derivation and how well each figure is reproduced.
 */
export const DEFAULT_WEIGHTS: CostWeights = {
  loop: 4.09,
  localRead: 0.733,
  localWrite: 1.11,
  closureRead: 12.4,
  closureWrite: 13,
  globalRead: 2.27,
  globalWrite: 8.25,
  hop: 0.987,
  literal: 0.298,
  compare: 2.68,
  intOp: 1.36,
  floatOp: 4.35,
  logic: 0.974,
  elemRead: 12.5,
  elemWrite: 14.3,
  propRead: 19.7,
  propWrite: 11.1,
  call: 6.83,
  callArg: 0.854,
  method: 4.19,
  fnEntry: 13.1,
  alloc: 15.3,
  mathCall: 0.514,
  numFormat: 373,
  intFormat: 68.6,
  numberParse: 85.8,
  stringOf: 383,
  jsonCall: 97.3,
  jsonChar: 11.2,
  strMethod: 5,
  arrayMethod: 5.04,
  nativeElem: 0.597,
  logCall: 579,
  logChar: 18.3,
  parseChar: 2,
};

/** The counter is kept in ticks of 0.1 µs: whole numbers, so that QuickJS stores them in its byte code, not as constants. */
export const TICKS_PER_US = 10;
export const TICKS_PER_MS = 1000 * TICKS_PER_US;
/** The sandbox's global that counts board ticks. */
export const COUNTER = '__pico_t';
/** The sandbox's global that instruments the argument of a direct eval(). */
export const EVAL_HOOK = '__pico_ins';

export function ticksOf(weights: CostWeights, category: Category, count = 1): number {
  return Math.round(weights[category] * count * TICKS_PER_US);
}

/** How the source is evaluated: a script (top-level names are globals), a function body (new Function), or eval code. */
export type InstrumentKind = 'script' | 'function' | 'eval';

type AnyNode = Node & Record<string, any>;
type Vec = Float64Array;
const NC = CATEGORIES.length;
const IDX = Object.fromEntries(CATEGORIES.map((c, i) => [c, i])) as Record<Category, number>;

function isNode(v: unknown): v is AnyNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}
const SKIP_KEYS = new Set(['type', 'start', 'end', 'loc', 'range', 'sourceFile']);

// ---------------------------------------------------------------------------------- scopes

interface Fn {
  parent: Fn | null;
}

interface Binding {
  fn: Fn;
  global: boolean;
  captured: boolean;
  /** Every value it is given is a small integer (a loop counter): its arithmetic does not allocate. */
  intish: boolean;
  /** What it is assigned: expressions (judged by isIntish), or null for something unknown. */
  writes: (AnyNode | null)[];
}

interface Ref {
  binding: Binding | null;
  fn: Fn;
  /** Function boundaries between the use and the declaration (or the top, for globals). */
  hops: number;
}

class Scope {
  readonly names = new Map<string, Binding>();
  constructor(
    readonly parent: Scope | null,
    readonly fn: Fn,
    readonly isFunction: boolean,
    readonly isGlobal: boolean,
  ) {}

  functionScope(): Scope {
    let s: Scope = this;
    while (!s.isFunction && s.parent) s = s.parent;
    return s;
  }

  declare(name: string): Binding {
    let b = this.names.get(name);
    if (!b) {
      b = { fn: this.fn, global: this.isGlobal, captured: false, intish: true, writes: [] };
      this.names.set(name, b);
    }
    return b;
  }
}

function patternNames(p: unknown, out: AnyNode[] = []): AnyNode[] {
  if (!isNode(p)) return out;
  switch (p.type) {
    case 'Identifier':
      out.push(p);
      break;
    case 'ObjectPattern':
      for (const prop of p.properties as AnyNode[]) patternNames(prop.type === 'RestElement' ? prop.argument : prop.value, out);
      break;
    case 'ArrayPattern':
      for (const el of p.elements as unknown[]) patternNames(el, out);
      break;
    case 'RestElement':
      patternNames(p.argument, out);
      break;
    case 'AssignmentPattern':
      patternNames(p.left, out);
      break;
  }
  return out;
}

/** Resolves every identifier to its binding, marks captured bindings and infers integer-only ones. */
class Resolver {
  readonly refs = new Map<AnyNode, Ref>();
  private readonly bindings: Binding[] = [];

  constructor(program: AnyNode, kind: InstrumentKind, params: string[]) {
    const top: Fn = { parent: null };
    const global = new Scope(null, top, true, true);
    if (kind === 'script') {
      this.hoist(program.body as AnyNode[], global, global);
      this.visitList(program.body as AnyNode[], global);
    } else {
      // new Function and eval code: the body's own names are locals of a function below the globals.
      const fn: Fn = { parent: top };
      const scope = new Scope(global, fn, true, false);
      for (const p of params) this.track(scope.declare(p)).writes.push(null);
      this.hoist(program.body as AnyNode[], scope, scope);
      this.visitList(program.body as AnyNode[], scope);
    }
    this.inferIntegers();
  }

  private track(b: Binding): Binding {
    if (!this.bindings.includes(b)) this.bindings.push(b);
    return b;
  }

  /** Declarations of a statement list: var (whole function) and lexical ones (this block). */
  private hoist(stmts: AnyNode[], block: Scope, fnScope: Scope): void {
    for (const s of stmts) {
      if (s.type === 'FunctionDeclaration' && s.id) this.track(block.declare(s.id.name)).writes.push(null);
      else if (s.type === 'ClassDeclaration' && s.id) this.track(block.declare(s.id.name)).writes.push(null);
      else if (s.type === 'VariableDeclaration' && s.kind !== 'var') for (const d of s.declarations) for (const id of patternNames(d.id)) this.track(block.declare(id.name));
    }
    this.hoistVars(stmts, fnScope);
  }

  private hoistVars(node: unknown, fnScope: Scope): void {
    if (Array.isArray(node)) {
      for (const n of node) this.hoistVars(n, fnScope);
      return;
    }
    if (!isNode(node)) return;
    if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression' || node.type === 'ClassDeclaration' || node.type === 'ClassExpression') return;
    if (node.type === 'VariableDeclaration' && node.kind === 'var') for (const d of node.declarations) for (const id of patternNames(d.id)) this.track(fnScope.declare(id.name));
    for (const key of Object.keys(node)) if (!SKIP_KEYS.has(key) && typeof node[key] === 'object') this.hoistVars(node[key], fnScope);
  }

  private resolve(id: AnyNode, scope: Scope): Ref {
    let hops = 0;
    for (let s: Scope | null = scope; s; s = s.parent) {
      const b = s.names.get(id.name as string);
      if (b) {
        if (b.fn !== scope.fn) b.captured = true;
        const ref: Ref = { binding: b, fn: scope.fn, hops };
        this.refs.set(id, ref);
        return ref;
      }
      if (s.isFunction && s.parent && s.parent.fn !== s.fn) hops++;
    }
    const ref: Ref = { binding: null, fn: scope.fn, hops };
    this.refs.set(id, ref);
    return ref;
  }

  /** Identifiers a pattern assigns; `value` is what each gets (null: unknown). */
  private writePattern(p: unknown, scope: Scope, value: AnyNode | null): void {
    if (!isNode(p)) return;
    if (p.type === 'Identifier') {
      const r = this.resolve(p, scope);
      if (r.binding) r.binding.writes.push(value);
      return;
    }
    if (p.type === 'MemberExpression') {
      this.visit(p, scope);
      return;
    }
    if (p.type === 'ObjectPattern') {
      for (const prop of p.properties as AnyNode[]) {
        if (prop.type === 'RestElement') this.writePattern(prop.argument, scope, null);
        else {
          if (prop.computed) this.visit(prop.key, scope);
          this.writePattern(prop.value, scope, null);
        }
      }
    } else if (p.type === 'ArrayPattern') {
      for (const el of p.elements as unknown[]) this.writePattern(el, scope, null);
    } else if (p.type === 'RestElement') {
      this.writePattern(p.argument, scope, null);
    } else if (p.type === 'AssignmentPattern') {
      this.writePattern(p.left, scope, null);
      this.visit(p.right, scope);
    }
  }

  private visitList(stmts: AnyNode[], scope: Scope): void {
    for (const s of stmts) this.visit(s, scope);
  }

  private visitFunction(node: AnyNode, scope: Scope): void {
    const fn: Fn = { parent: scope.fn };
    let outer = scope;
    if (node.type === 'FunctionExpression' && node.id) {
      outer = new Scope(scope, scope.fn, false, false);
      this.track(outer.declare(node.id.name)).writes.push(null);
    }
    const inner = new Scope(outer, fn, true, false);
    for (const p of node.params as AnyNode[]) for (const id of patternNames(p)) this.track(inner.declare(id.name)).writes.push(null);
    if (node.body.type === 'BlockStatement') this.hoist(node.body.body, inner, inner);
    for (const p of node.params as AnyNode[]) this.writePattern(p, inner, null);
    if (node.body.type === 'BlockStatement') this.visitList(node.body.body, inner);
    else this.visit(node.body, inner);
  }

  private visit(node: unknown, scope: Scope): void {
    if (Array.isArray(node)) {
      for (const n of node) this.visit(n, scope);
      return;
    }
    if (!isNode(node)) return;
    switch (node.type) {
      case 'Identifier':
        this.resolve(node, scope);
        return;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        this.visitFunction(node, scope);
        return;
      case 'ClassDeclaration':
      case 'ClassExpression': {
        let inner = scope;
        if (node.id) {
          inner = new Scope(scope, scope.fn, false, false);
          this.track(inner.declare(node.id.name)).writes.push(null);
          if (node.type === 'ClassDeclaration') this.resolve(node.id, scope);
        }
        this.visit(node.superClass, inner);
        this.visit(node.body, inner);
        return;
      }
      case 'MethodDefinition':
      case 'PropertyDefinition':
      case 'Property':
        if (node.computed) this.visit(node.key, scope);
        this.visit(node.value, scope);
        return;
      case 'MemberExpression':
        this.visit(node.object, scope);
        if (node.computed) this.visit(node.property, scope);
        return;
      case 'LabeledStatement':
        this.visit(node.body, scope);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
        return;
      case 'BlockStatement':
      case 'StaticBlock': {
        const inner = new Scope(scope, scope.fn, false, false);
        this.hoist(node.body, inner, scope.functionScope());
        this.visitList(node.body, inner);
        return;
      }
      case 'SwitchStatement': {
        this.visit(node.discriminant, scope);
        const inner = new Scope(scope, scope.fn, false, false);
        for (const c of node.cases as AnyNode[]) this.hoist(c.consequent, inner, scope.functionScope());
        for (const c of node.cases as AnyNode[]) {
          this.visit(c.test, inner);
          this.visitList(c.consequent, inner);
        }
        return;
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const head = node.type === 'ForStatement' ? node.init : node.left;
        let inner = scope;
        if (isNode(head) && head.type === 'VariableDeclaration' && head.kind !== 'var') {
          inner = new Scope(scope, scope.fn, false, false);
          for (const d of head.declarations) for (const id of patternNames(d.id)) this.track(inner.declare(id.name));
        }
        if (node.type === 'ForStatement') {
          this.visit(node.init, inner);
          this.visit(node.test, inner);
          this.visit(node.update, inner);
        } else {
          this.visit(node.right, inner);
          if (isNode(head) && head.type === 'VariableDeclaration') for (const d of head.declarations) this.writePattern(d.id, inner, null);
          else this.writePattern(head, inner, null);
        }
        this.visit(node.body, inner);
        return;
      }
      case 'CatchClause': {
        const inner = new Scope(scope, scope.fn, false, false);
        for (const id of patternNames(node.param)) this.track(inner.declare(id.name)).writes.push(null);
        this.visit(node.body, inner);
        return;
      }
      case 'VariableDeclarator':
        this.visit(node.init, scope);
        if (node.id.type === 'Identifier') this.writePattern(node.id, scope, node.init ?? null);
        else this.writePattern(node.id, scope, null);
        return;
      case 'AssignmentExpression':
        this.visit(node.right, scope);
        if (node.left.type === 'Identifier') {
          const r = this.resolve(node.left, scope);
          if (r.binding) r.binding.writes.push(node.operator === '=' ? node.right : node);
        } else this.writePattern(node.left, scope, null);
        return;
      case 'UpdateExpression':
        if (node.argument.type === 'Identifier') this.resolve(node.argument, scope);
        else this.visit(node.argument, scope);
        return;
    }
    for (const key of Object.keys(node)) if (!SKIP_KEYS.has(key) && typeof node[key] === 'object') this.visit(node[key], scope);
  }

  private inferIntegers(): void {
    for (const b of this.bindings) if (b.writes.length === 0 || b.writes.includes(null)) b.intish = false;
    for (let changed = true; changed; ) {
      changed = false;
      for (const b of this.bindings) {
        if (!b.intish) continue;
        if (!b.writes.every((w) => w !== null && this.isIntish(w))) {
          b.intish = false;
          changed = true;
        }
      }
    }
  }

  /** Does this expression always give a small integer (so JerryScript keeps it unboxed)? */
  isIntish(e: AnyNode): boolean {
    switch (e.type) {
      case 'Literal':
        return typeof e.value === 'number' && Number.isInteger(e.value) && Math.abs(e.value) < 2 ** 27;
      case 'Identifier': {
        const r = this.refs.get(e);
        return r !== undefined && r.binding !== null && r.binding.intish;
      }
      case 'UpdateExpression':
        return true;
      case 'UnaryExpression':
        return e.operator === '~' || (e.operator === '-' && this.isIntish(e.argument));
      case 'BinaryExpression':
        if (['|', '&', '^', '<<', '>>'].includes(e.operator)) return true;
        if (['+', '-', '*', '%'].includes(e.operator)) return this.isIntish(e.left) && this.isIntish(e.right);
        return false;
      case 'AssignmentExpression':
        if (e.operator === '=') return this.isIntish(e.right);
        if (['|=', '&=', '^=', '<<=', '>>='].includes(e.operator)) return true;
        if (['+=', '-=', '*=', '%='].includes(e.operator)) return this.isIntish(e.left) && this.isIntish(e.right);
        return false;
      case 'ConditionalExpression':
        return this.isIntish(e.consequent) && this.isIntish(e.alternate);
      case 'SequenceExpression':
        return this.isIntish(e.expressions[e.expressions.length - 1]);
      case 'MemberExpression':
        return !e.computed && e.property.name === 'length';
      case 'CallExpression': {
        const c = e.callee;
        return c.type === 'MemberExpression' && !c.computed && c.object.type === 'Identifier' && c.object.name === 'Math' && ['floor', 'ceil', 'round', 'trunc', 'imul', 'sign'].includes(c.property.name);
      }
      default:
        return false;
    }
  }
}

// ---------------------------------------------------------------------------------- costing

interface Edit {
  pos: number;
  text: string;
  close: boolean;
  seq: number;
}

/** Global functions whose cost is their own, recognised at the call site when the name is the global one. */
const STATIC_BUILTINS: Record<string, Category> = {
  Number: 'numberParse',
  parseFloat: 'numberParse',
  parseInt: 'numberParse',
  String: 'stringOf',
};

class Costing {
  private readonly edits: Edit[] = [];
  private seq = 0;

  constructor(
    private readonly weights: CostWeights,
    private readonly r: Resolver,
  ) {}

  // ---- edits

  private insert(pos: number, text: string, close = false): void {
    this.edits.push({ pos, text, close, seq: this.seq++ });
  }

  private ticks(v: Vec): number {
    let t = 0;
    for (let i = 0; i < NC; i++) if (v[i] !== 0) t += this.weights[CATEGORIES[i]] * v[i];
    return Math.round(t * TICKS_PER_US);
  }

  /** `COUNTER+=K;` before a statement. */
  private chargeAt(pos: number, v: Vec): void {
    const k = this.ticks(v);
    if (k > 0) this.insert(pos, `${COUNTER}+=${k};`);
  }

  /** `(COUNTER+=K, expr)`: the cost of `node` charged each time it runs. */
  private wrapExpr(node: AnyNode, extra?: Vec): void {
    const v = vec(extra);
    const open = this.edits.length;
    this.insert(node.start, '');
    this.expr(node, v);
    const k = this.ticks(v);
    if (k > 0) {
      this.edits[open].text = `(${COUNTER}+=${k},`;
      this.insert(node.end, ')', true);
    }
  }

  apply(source: string): string {
    const sorted = this.edits.filter((e) => e.text !== '').sort((a, b) => a.pos - b.pos || Number(b.close) - Number(a.close) || a.seq - b.seq);
    let out = '';
    let at = 0;
    for (const e of sorted) {
      out += source.slice(at, e.pos) + e.text;
      at = e.pos;
    }
    return out + source.slice(at);
  }

  // ---- identifiers

  private read(id: AnyNode, v: Vec): void {
    this.access(id, v, true);
  }

  private write(id: AnyNode, v: Vec): void {
    this.access(id, v, false);
  }

  private access(id: AnyNode, v: Vec, reading: boolean): void {
    const ref = this.r.refs.get(id);
    if (!ref || ref.binding === null || ref.binding.global) {
      v[IDX[reading ? 'globalRead' : 'globalWrite']]++;
      v[IDX.hop] += ref ? ref.hops : 0;
    } else if (ref.binding.fn === ref.fn) {
      v[IDX[ref.binding.captured ? (reading ? 'closureRead' : 'closureWrite') : reading ? 'localRead' : 'localWrite']]++;
    } else {
      v[IDX[reading ? 'closureRead' : 'closureWrite']]++;
      v[IDX.hop] += Math.max(0, ref.hops - 1);
    }
  }

  private isGlobalName(id: AnyNode, name: string): boolean {
    if (id.type !== 'Identifier' || id.name !== name) return false;
    const ref = this.r.refs.get(id);
    return !ref || ref.binding === null;
  }

  // ---- expressions: add the unconditional cost to v, wrap what runs conditionally

  private member(node: AnyNode, v: Vec, reading: boolean): void {
    this.expr(node.object, v);
    if (node.computed) {
      this.expr(node.property, v);
      const stringKey = node.property.type === 'Literal' && typeof node.property.value === 'string';
      v[IDX[stringKey ? (reading ? 'propRead' : 'propWrite') : reading ? 'elemRead' : 'elemWrite']]++;
    } else v[IDX[reading ? 'propRead' : 'propWrite']]++;
  }

  private arith(op: string, intish: boolean, v: Vec): void {
    if (['<', '>', '<=', '>=', '==', '!=', '===', '!=='].includes(op)) v[IDX.compare]++;
    else if (['|', '&', '^', '<<', '>>', '>>>'].includes(op)) v[IDX.intOp]++;
    else if (op === 'instanceof' || op === 'in') v[IDX.propRead]++;
    else v[IDX[intish ? 'intOp' : 'floatOp']]++;
  }

  private pattern(p: AnyNode, v: Vec): void {
    // Destructuring: one property read and one write per name (defaults run conditionally).
    for (const id of patternNames(p)) {
      v[IDX.propRead]++;
      this.write(id, v);
    }
  }

  private expr(node: AnyNode | null | undefined, v: Vec): void {
    if (!node) return;
    switch (node.type) {
      case 'Identifier':
        this.read(node, v);
        return;
      case 'Literal':
        v[IDX[node.regex ? 'alloc' : 'literal']]++;
        return;
      case 'ThisExpression':
      case 'Super':
        v[IDX.localRead]++;
        return;
      case 'TemplateLiteral':
        v[IDX.literal]++;
        for (const e of node.expressions) {
          this.expr(e, v);
          v[IDX.floatOp]++;
        }
        return;
      case 'TaggedTemplateExpression':
        this.expr(node.tag, v);
        this.expr(node.quasi, v);
        v[IDX.call]++;
        return;
      case 'ArrayExpression':
        v[IDX.alloc]++;
        for (const e of node.elements) if (e) {
          this.expr(e, v);
          v[IDX.callArg]++;
        }
        return;
      case 'ObjectExpression':
        v[IDX.alloc]++;
        for (const p of node.properties as AnyNode[]) {
          if (p.type === 'SpreadElement') {
            this.expr(p.argument, v);
            v[IDX.arrayMethod]++;
            continue;
          }
          if (p.computed) this.expr(p.key, v);
          if (p.kind === 'init' && !p.method) this.expr(p.value, v);
          else this.fn(p.value);
          v[IDX.propWrite]++;
        }
        return;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        v[IDX.alloc]++;
        this.fn(node);
        return;
      case 'ClassExpression':
        v[IDX.alloc]++;
        this.classBody(node, v);
        return;
      case 'UnaryExpression':
        if (node.operator === 'delete' && node.argument.type === 'MemberExpression') {
          this.member(node.argument, v, false);
          return;
        }
        this.expr(node.argument, v);
        if (node.operator === '-' || node.operator === '+') v[IDX[this.r.isIntish(node.argument) ? 'intOp' : 'floatOp']]++;
        else if (node.operator === '~') v[IDX.intOp]++;
        else if (node.operator !== 'void') v[IDX.logic]++;
        return;
      case 'UpdateExpression':
        if (node.argument.type === 'Identifier') {
          this.read(node.argument, v);
          this.write(node.argument, v);
        } else {
          this.member(node.argument, v, true);
          v[IDX[node.argument.computed ? 'elemWrite' : 'propWrite']]++;
        }
        v[IDX[this.r.isIntish(node.argument) ? 'intOp' : 'floatOp']]++;
        return;
      case 'BinaryExpression':
        this.expr(node.left, v);
        this.expr(node.right, v);
        this.arith(node.operator, this.r.isIntish(node.left) && this.r.isIntish(node.right), v);
        return;
      case 'LogicalExpression':
        this.expr(node.left, v);
        v[IDX.logic]++;
        this.wrapExpr(node.right);
        return;
      case 'ConditionalExpression':
        this.expr(node.test, v);
        v[IDX.logic]++;
        this.wrapExpr(node.consequent);
        this.wrapExpr(node.alternate);
        return;
      case 'AssignmentExpression': {
        const left = node.left;
        if (node.operator === '=') {
          if (left.type === 'Identifier') {
            this.expr(node.right, v);
            this.write(left, v);
          } else if (left.type === 'MemberExpression') {
            this.expr(left.object, v);
            if (left.computed) this.expr(left.property, v);
            this.expr(node.right, v);
            const stringKey = left.computed && left.property.type === 'Literal' && typeof left.property.value === 'string';
            v[IDX[left.computed && !stringKey ? 'elemWrite' : 'propWrite']]++;
          } else {
            this.expr(node.right, v);
            this.pattern(left, v);
          }
          return;
        }
        const op = node.operator.slice(0, -1);
        if (left.type === 'Identifier') {
          this.read(left, v);
          this.expr(node.right, v);
          this.arith(op, this.r.isIntish(left) && this.r.isIntish(node.right), v);
          this.write(left, v);
        } else {
          this.member(left, v, true);
          this.expr(node.right, v);
          this.arith(op, false, v);
          v[IDX[left.computed ? 'elemWrite' : 'propWrite']]++;
        }
        return;
      }
      case 'SequenceExpression':
        for (const e of node.expressions) this.expr(e, v);
        return;
      case 'MemberExpression':
        this.member(node, v, true);
        return;
      case 'ChainExpression':
        this.expr(node.expression, v);
        return;
      case 'CallExpression':
        this.callExpr(node, v);
        return;
      case 'NewExpression':
        this.expr(node.callee, v);
        for (const a of node.arguments) {
          this.expr(a, v);
          v[IDX.callArg]++;
        }
        v[IDX.call]++;
        v[IDX.alloc]++;
        return;
      case 'SpreadElement':
        this.expr(node.argument, v);
        v[IDX.arrayMethod]++;
        return;
      case 'YieldExpression':
      case 'AwaitExpression':
        this.expr(node.argument, v);
        v[IDX.call]++;
        return;
      case 'ParenthesizedExpression':
        this.expr(node.expression, v);
        return;
      default:
        return;
    }
  }

  private callExpr(node: AnyNode, v: Vec): void {
    const callee = node.callee;
    if (callee.type === 'MemberExpression') {
      this.member(callee, v, true);
      v[IDX.method]++;
    } else if (callee.type === 'Identifier') {
      this.read(callee, v);
      const builtin = Object.keys(STATIC_BUILTINS).find((name) => this.isGlobalName(callee, name));
      if (builtin) {
        const arg = node.arguments[0] as AnyNode | undefined;
        // String(integer) formats without the float search.
        v[IDX[builtin === 'String' && arg && this.r.isIntish(arg) ? 'intFormat' : STATIC_BUILTINS[builtin]]]++;
      }
      if (this.isGlobalName(callee, 'eval') && node.arguments.length > 0) {
        // A direct eval stays direct (the callee is still `eval`); its code is instrumented when it runs.
        const a = node.arguments[0] as AnyNode;
        this.insert(a.start, `${EVAL_HOOK}(`);
        this.expr(a, v);
        this.insert(a.end, ')', true);
        v[IDX.callArg] += node.arguments.length;
        v[IDX.call]++;
        for (const rest of node.arguments.slice(1)) this.expr(rest, v);
        return;
      }
    } else this.expr(callee, v);
    for (const a of node.arguments) {
      this.expr(a, v);
      v[IDX.callArg]++;
    }
    v[IDX.call]++;
  }

  private classBody(node: AnyNode, v: Vec): void {
    this.expr(node.superClass, v);
    for (const el of node.body.body as AnyNode[]) {
      if (el.computed) this.expr(el.key, v);
      if (el.type === 'MethodDefinition') this.fn(el.value);
      else if (el.type === 'PropertyDefinition' && el.value) this.wrapExpr(el.value);
    }
  }

  // ---- functions and statements

  /** A function's body: its entry (the frame JerryScript sets up) is charged when it runs, with the first statements. */
  fn(node: AnyNode): void {
    const entry = vec();
    entry[IDX.fnEntry]++;
    for (const p of node.params as AnyNode[]) {
      if (p.type === 'AssignmentPattern') this.wrapExpr(p.right, single('logic'));
    }
    if (node.body.type === 'BlockStatement') this.list(node.body.body, entry, node.body.start + 1, node.body.end - 1);
    else this.wrapExpr(node.body, entry);
  }

  /** Program or function body: statements in runs, each run charged once in front of its first statement. */
  list(stmts: AnyNode[], entry: Vec | null, startPos: number, endPos?: number): void {
    let run: Vec | null = entry ? vec(entry) : null;
    let runPos = startPos;
    let afterDirectives = startPos;
    let i = 0;
    while (i < stmts.length && stmts[i].type === 'ExpressionStatement' && typeof stmts[i].directive === 'string') afterDirectives = stmts[i++].end;
    if (run) runPos = i < stmts.length ? stmts[i].start : (endPos ?? afterDirectives);
    const flush = (): void => {
      if (run) this.chargeAt(runPos, run);
      run = null;
    };
    for (; i < stmts.length; i++) {
      const s = stmts[i];
      if (s.type === 'FunctionDeclaration') {
        this.fn(s);
        continue;
      }
      if (run === null) {
        run = vec();
        runPos = s.start;
      }
      switch (s.type) {
        case 'ExpressionStatement':
          this.expr(s.expression, run);
          break;
        case 'VariableDeclaration':
          this.declaration(s, run);
          break;
        case 'ReturnStatement':
          this.expr(s.argument, run);
          run[IDX.logic]++;
          flush();
          break;
        case 'ThrowStatement':
          this.expr(s.argument, run);
          run[IDX.alloc]++;
          flush();
          break;
        case 'BreakStatement':
        case 'ContinueStatement':
          run[IDX.logic]++;
          flush();
          break;
        case 'EmptyStatement':
        case 'DebuggerStatement':
          break;
        case 'ClassDeclaration':
          run[IDX.alloc]++;
          this.classBody(s, run);
          break;
        default:
          this.compound(s, run);
          flush();
          this.inner(s);
      }
    }
    flush();
  }

  private declaration(s: AnyNode, v: Vec): void {
    for (const d of s.declarations as AnyNode[]) {
      if (!d.init) continue;
      this.expr(d.init, v);
      if (d.id.type === 'Identifier') this.write(d.id, v);
      else this.pattern(d.id, v);
    }
  }

  /** What a compound statement evaluates once, before its parts: it joins the run in front. */
  private compound(s: AnyNode, v: Vec): void {
    switch (s.type) {
      case 'IfStatement':
        this.expr(s.test, v);
        v[IDX.logic]++;
        return;
      case 'ForStatement':
        if (s.init && s.init.type === 'VariableDeclaration') this.declaration(s.init, v);
        else this.expr(s.init, v);
        return;
      case 'ForInStatement':
      case 'ForOfStatement':
        this.expr(s.right, v);
        v[IDX.alloc]++;
        return;
      case 'SwitchStatement':
        this.expr(s.discriminant, v);
        return;
      case 'LabeledStatement':
        this.compound(s.body, v);
        return;
      default:
        return;
    }
  }

  /** The parts of a compound statement that charge themselves. */
  private inner(s: AnyNode): void {
    switch (s.type) {
      case 'IfStatement':
        this.body(s.consequent, null);
        if (s.alternate) this.body(s.alternate, null);
        return;
      case 'ForStatement':
        if (s.test) this.wrapExpr(s.test, single('loop'));
        if (s.update) this.wrapExpr(s.update);
        this.body(s.body, s.test ? null : single('loop'));
        return;
      case 'WhileStatement':
        this.wrapExpr(s.test, single('loop'));
        this.body(s.body, null);
        return;
      case 'DoWhileStatement':
        this.body(s.body, null);
        this.wrapExpr(s.test, single('loop'));
        return;
      case 'ForInStatement':
      case 'ForOfStatement': {
        const turn = vec();
        turn[IDX.loop]++;
        turn[IDX.propRead]++;
        const left = s.left.type === 'VariableDeclaration' ? s.left.declarations[0].id : s.left;
        if (left.type === 'Identifier') this.write(left, turn);
        else if (left.type === 'MemberExpression') this.member(left, turn, false);
        else this.pattern(left, turn);
        this.body(s.body, turn);
        return;
      }
      case 'SwitchStatement':
        for (const c of s.cases as AnyNode[]) {
          if (c.test) this.wrapExpr(c.test, single('compare'));
          this.list(c.consequent, null, c.end);
        }
        return;
      case 'TryStatement':
        this.list(s.block.body, null, s.block.start + 1);
        if (s.handler) this.list(s.handler.body.body, single('alloc'), s.handler.body.start + 1, s.handler.body.end - 1);
        if (s.finalizer) this.list(s.finalizer.body, null, s.finalizer.start + 1);
        return;
      case 'LabeledStatement':
        this.inner(s.body);
        return;
      case 'BlockStatement':
      case 'StaticBlock':
        this.list(s.body, null, s.start + 1);
        return;
      case 'WithStatement':
        this.body(s.body, null);
        return;
      default:
        return;
    }
  }

  /** A statement in a body position (if branch, loop body): a block's statements charge themselves; anything else is braced first. */
  private body(s: AnyNode, entry: Vec | null): void {
    if (s.type === 'BlockStatement') {
      this.list(s.body, entry, s.start + 1, s.end - 1);
      return;
    }
    if (s.type === 'EmptyStatement' && !entry) return;
    this.insert(s.start, '{');
    this.list([s], entry, s.start);
    this.insert(s.end, '}', true);
  }
}

function vec(from?: Vec): Vec {
  const v = new Float64Array(NC);
  if (from) v.set(from);
  return v;
}

function single(c: Category): Vec {
  const v = vec();
  v[IDX[c]] = 1;
  return v;
}

export interface InstrumentOptions {
  kind?: InstrumentKind;
  /** Parameter names of a new Function body. */
  params?: string[];
  weights?: CostWeights;
}

/**
 * The source with its board cost counted as it runs, or null when acorn cannot parse it (the engine
 * then runs the original, and reports QuickJS's own SyntaxError). Lines are kept: nothing inserted
 * holds a line break.
 */
export function instrument(source: string, opts: InstrumentOptions = {}): string | null {
  const kind = opts.kind ?? 'script';
  let program: AnyNode;
  try {
    program = parse(source, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowReturnOutsideFunction: kind === 'function',
      allowHashBang: kind === 'script',
    }) as AnyNode;
  } catch {
    return null;
  }
  const resolver = new Resolver(program, kind, opts.params ?? []);
  const costing = new Costing(opts.weights ?? DEFAULT_WEIGHTS, resolver);
  let entry: Vec | null = null;
  if (kind === 'function') {
    entry = vec();
    entry[IDX.fnEntry]++;
  }
  costing.list(program.body, entry, 0, source.length);
  return costing.apply(source);
}
