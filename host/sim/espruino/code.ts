// Every piece of JavaScript the virtual Espruino evaluates (a console line, the boot code, a
// `new Function` body, an `eval`) passes through here before QuickJS sees it:
//
//  1. The syntax gate: espruinoFindings (host/build/espruino-syntax.ts, the build's own list) on the
//     syntax tree. What Espruino 2v29 cannot run fails as it does on the board: an uncaught
//     SyntaxError (a ReferenceError for a destructuring outside parameters, for a function used
//     before its declaration and a var read before it), naming the problem and the line, and the
//     chunk does not run. Missing built-ins are left to the run: they are absent from the sandbox.
//     Espruino streams: on the board the statements before the bad one have run; here none has.
//  2. Rewrites, each on the same line (line numbers in errors stay right; columns after a rewrite
//     shift):
//     - a decimal number literal becomes the double Espruino's lexer reads (stringToFloat sums
//       digit·0.1ᵏ: `0.3` is 0.30000000000000004 on the board);
//     - `let` at the top of a chunk is `var` (Espruino keeps top-level lets in the root scope, so a
//       line can declare the same name twice);
//     - `for (let i = …; …)` keeps one `i` for the whole loop (Espruino's closures see its final value);
//     - a `+` with a string operand written in the code, and `${…}` in a template, format numbers
//       the way Espruino does (at most 11 digits after the point, truncated).
//  3. The code's cost in variables: the text of each function in it (each once; an immediately
//     called function's own text is freed after the call).
import type { Node } from 'acorn';
import { espruinoParseNumber } from '../../build/espruino-number.ts';
import { espruinoFindings, parseScript, type EspruinoFinding } from '../../build/espruino-syntax.ts';
import { flatBlocks } from './variables.ts';

/** Helpers the rewritten code calls (non-enumerable globals installed by the prelude). */
export const ADD_HELPER = '__espruinoAdd';
export const STRING_HELPER = '__espruinoStr';

export interface GateError {
  type: 'SyntaxError' | 'ReferenceError';
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based, as Espruino prints `col`. */
  column: number;
}

export type Prepared =
  | {
      ok: true;
      code: string;
      /** Variables the code's functions keep (their text when in RAM, a flash pointer when from flash). */
      codeBlocks: number;
      /** When the last statement declares a function or class, its name (the console prints it as the line's value). */
      declared: string | null;
      /** A 1-based (line, column) of the rewritten code, as the same place in the original. */
      original(line: number, column: number): { line: number; column: number };
    }
  | { ok: false; error: GateError };

type AnyNode = Node & Record<string, unknown> & { loc?: { start: { line: number; column: number }; end: { line: number; column: number } } };

const NO_ERROR_RULES = new Set<EspruinoFinding['rule']>(['builtin', 'forLetClosure']);
const REFERENCE_RULES = new Set<EspruinoFinding['rule']>(['functionHoisting', 'varReadHoisting']);

/** One text edit; insertions at the same offset go in `order` (lower first), before a replacement starting there. */
interface Edit {
  start: number;
  end: number;
  text: string;
  order: number;
}

const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Where each applied edit went: offsets in the original and in the rewritten text. */
interface Placed {
  origStart: number;
  origEnd: number;
  outStart: number;
  outEnd: number;
}

function applyEdits(source: string, edits: Edit[], placed: Placed[] = []): string {
  // At one offset: insertions first (openers of outer expressions before inner ones, then closers
  // of inner ones before outer ones), then the replacement that starts there.
  const width = (e: Edit) => (e.start === e.end ? 0 : 1);
  edits.sort((a, b) => a.start - b.start || width(a) - width(b) || a.order - b.order);
  let out = '';
  let at = 0;
  for (const e of edits) {
    if (e.start < at) continue; // overlapping (cannot happen with the rewrites below); keep the first
    out += source.slice(at, e.start);
    let text = e.text;
    // Minified code has no spaces: `return"x"+y` must not become `return__espruinoAdd(…`.
    if (text && WORD.test(text[0]) && out && WORD.test(out[out.length - 1])) text = ' ' + text;
    if (text && WORD.test(text[text.length - 1]) && e.end < source.length && WORD.test(source[e.end])) text += ' ';
    placed.push({ origStart: e.start, origEnd: e.end, outStart: out.length, outEnd: out.length + text.length });
    out += text;
    at = e.end;
  }
  return out + source.slice(at);
}

function isNode(v: unknown): v is AnyNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

function children(n: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const key of Object.keys(n)) {
    if (key === 'loc' || key === 'type') continue;
    const v = n[key];
    if (Array.isArray(v)) {
      for (const c of v) if (isNode(c)) out.push(c);
    } else if (isNode(v)) out.push(v);
  }
  return out;
}

/** A literal QuickJS reads as exactly `v` (in parentheses when it is not a plain number). */
function literalText(v: number): string {
  const t = String(v);
  return /^[0-9.e+-]+$/.test(t) && !t.startsWith('-') ? t : `(${t})`;
}

/** A node whose value is a string whatever runs (a literal, a template, a `+` of those). */
function stringy(n: AnyNode): boolean {
  if (n.type === 'Literal') return typeof n.value === 'string';
  if (n.type === 'TemplateLiteral') return true;
  if (n.type === 'BinaryExpression' && n.operator === '+') return stringy(n.left as AnyNode) || stringy(n.right as AnyNode);
  return false;
}

/** Offset of the `+` between two operands (skipping comments). */
function plusBetween(source: string, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c = source[i];
    if (c === '/' && source[i + 1] === '/') {
      const nl = source.indexOf('\n', i);
      i = nl < 0 ? to : nl;
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? to : end + 1;
    } else if (c === '+') return i;
  }
  return -1;
}

/** Is this function the callee of a call made right away (`(function(){…})()`, `!function(){}()`)? */
function immediatelyCalled(fn: AnyNode, parent: AnyNode | null): boolean {
  return parent !== null && (parent.type === 'CallExpression' || parent.type === 'NewExpression') && parent.callee === fn;
}

/** The text Espruino keeps for a function: its body (a block, or `return` and the expression of an arrow). */
function functionTextLength(fn: AnyNode): number {
  const body = fn.body as AnyNode;
  const params = (fn.params as AnyNode[]).reduce((n, p) => n + (p.end - p.start) + 1, 0);
  const text = body.end - body.start + (body.type === 'BlockStatement' ? 0 : 'return '.length);
  return text + params;
}

function gateError(program: AnyNode, f: EspruinoFinding): GateError {
  let type: GateError['type'] = REFERENCE_RULES.has(f.rule) ? 'ReferenceError' : 'SyntaxError';
  if (f.rule === 'destructuring') type = inParameters(program, f.start) ? 'SyntaxError' : 'ReferenceError';
  return { type, message: f.what, line: f.line, column: f.column + 1 };
}

function inParameters(program: AnyNode, offset: number): boolean {
  let found = false;
  const visit = (n: AnyNode): void => {
    if (found || offset < n.start || offset >= n.end) return;
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') {
      for (const p of n.params as AnyNode[]) if (offset >= p.start && offset < p.end) found = true;
    }
    for (const c of children(n)) visit(c);
  };
  visit(program);
  return found;
}

export interface PrepareOptions {
  /** The code runs from Storage: each function keeps a pointer into flash (one block), not its text. */
  fromFlash?: boolean;
  /** Line number of the chunk's first line, for messages (a `new Function` body starts 2 lines into its wrapper). */
  lineOffset?: number;
}

/** Gates, rewrites and prices one chunk of code (see the header). */
export function prepare(source: string, opts: PrepareOptions = {}): Prepared {
  const lineOffset = opts.lineOffset ?? 0;
  let program: AnyNode;
  try {
    program = parseScript(source) as AnyNode;
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number } };
    const message = e.message.replace(/\s*\(\d+:\d+\)$/, '');
    return { ok: false, error: { type: 'SyntaxError', message, line: (e.loc?.line ?? 1) - lineOffset, column: (e.loc?.column ?? 0) + 1 } };
  }
  const problem = espruinoFindings(program).find((f) => !NO_ERROR_RULES.has(f.rule));
  if (problem) {
    const error = gateError(program, problem);
    return { ok: false, error: { ...error, line: error.line - lineOffset } };
  }

  const edits: Edit[] = [];
  let codeBlocks = 0;
  const walk = (n: AnyNode, parent: AnyNode | null, inTagged: boolean): void => {
    switch (n.type) {
      case 'Literal': {
        const raw = n.raw as string | undefined;
        if (typeof n.value === 'number' && raw !== undefined) {
          const v = espruinoParseNumber(raw);
          if (!Object.is(v, n.value) && !Number.isNaN(v)) edits.push({ start: n.start, end: n.end, text: literalText(v), order: 0 });
        }
        break;
      }
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (!immediatelyCalled(n, parent)) codeBlocks += opts.fromFlash ? 1 : flatBlocks(functionTextLength(n));
        break;
      case 'ForStatement': {
        const init = n.init as AnyNode | null;
        if (init?.type === 'VariableDeclaration' && init.kind === 'let' && init.loc && n.loc && init.loc.start.line === init.loc.end.line && init.loc.start.line === n.loc.start.line) {
          // `for (let i = 0; i < n; i++) body` → `{let i = 0; for (; i < n; i++) body}`: one i for all turns.
          const local: Edit[] = [];
          for (const d of init.declarations as AnyNode[]) if (isNode(d.init)) walkMoved(d.init as AnyNode, init.start, local);
          const moved = applyEdits(source.slice(init.start, init.end), local);
          edits.push({ start: n.start, end: n.start, text: '{' + moved + ';', order: 0 });
          edits.push({ start: init.start, end: init.end, text: '', order: 0 });
          edits.push({ start: n.end, end: n.end, text: '}', order: 1000 });
          for (const key of ['test', 'update', 'body'] as const) {
            const c = n[key];
            if (isNode(c)) walk(c, n, inTagged);
          }
          return;
        }
        break;
      }
      case 'BinaryExpression':
        if (n.operator === '+' && stringy(n)) {
          const left = n.left as AnyNode;
          const right = n.right as AnyNode;
          const plus = plusBetween(source, left.end, right.start);
          if (plus >= 0) {
            // Outer expressions open first and close last at a shared offset.
            const depth = n.end - n.start;
            edits.push({ start: n.start, end: n.start, text: `${ADD_HELPER}(`, order: -depth });
            edits.push({ start: plus, end: plus + 1, text: ',', order: 0 });
            edits.push({ start: n.end, end: n.end, text: ')', order: 1 + 1 / (depth + 1) });
          }
        }
        break;
      case 'TaggedTemplateExpression':
        walk(n.tag as AnyNode, n, inTagged);
        walk(n.quasi as AnyNode, n, true);
        return;
      case 'TemplateLiteral':
        if (!inTagged) {
          for (const e of n.expressions as AnyNode[]) {
            const depth = e.end - e.start;
            edits.push({ start: e.start, end: e.start, text: `${STRING_HELPER}(`, order: -depth - 0.5 });
            edits.push({ start: e.end, end: e.end, text: ')', order: 1 + 1 / (depth + 2) });
          }
        }
        for (const e of n.expressions as AnyNode[]) walk(e, n, false);
        return;
    }
    for (const c of children(n)) walk(c, n, n.type === 'TemplateLiteral' ? inTagged : false);
  };
  // The initialiser of a rewritten `for (let …)` moves as text: only literal fixes apply inside it.
  function walkMoved(n: AnyNode, base: number, local: Edit[]): void {
    const raw = n.raw;
    if (n.type === 'Literal' && typeof n.value === 'number' && typeof raw === 'string') {
      const v = espruinoParseNumber(raw);
      if (!Object.is(v, n.value) && !Number.isNaN(v)) local.push({ start: n.start - base, end: n.end - base, text: literalText(v), order: 0 });
    }
    if (n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') codeBlocks += opts.fromFlash ? 1 : flatBlocks(functionTextLength(n));
    for (const c of children(n)) walkMoved(c, base, local);
  }

  for (const st of program.body as AnyNode[]) {
    if (st.type === 'VariableDeclaration' && st.kind === 'let') edits.push({ start: st.start, end: st.start + 3, text: 'var', order: 0 });
    // A class declared at the top is a variable of the root scope on the board (so `Foo: {…}` prints its name).
    if (st.type === 'ClassDeclaration' && isNode(st.id)) edits.push({ start: st.start, end: st.start, text: `var ${st.id.name as string} = `, order: 0 });
    walk(st, program, false);
  }

  const last = (program.body as AnyNode[]).at(-1);
  let declared: string | null = null;
  if (last && (last.type === 'FunctionDeclaration' || last.type === 'ClassDeclaration') && isNode(last.id)) declared = last.id.name as string;
  const placed: Placed[] = [];
  const code = applyEdits(source, edits, placed);
  return { ok: true, code, codeBlocks, declared, original: (line, column) => originalPosition(source, code, placed, line, column) };
}

function offsetOf(text: string, line: number, column: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) break;
    at = nl + 1;
  }
  return at + Math.max(0, column - 1);
}

function originalPosition(source: string, code: string, placed: Placed[], line: number, column: number): { line: number; column: number } {
  const r = offsetOf(code, line, column);
  let o = r;
  for (const p of placed) {
    if (p.outStart > r) break;
    o = r < p.outEnd ? p.origStart : p.origEnd + (r - p.outEnd);
  }
  const before = source.slice(0, o);
  const nl = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: o - nl };
}
