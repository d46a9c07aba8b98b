// The lowering esbuild cannot do for Espruino: hoisting, and number literals Espruino would
// misread. Espruino defines a function only when its declaration statement runs, and a `var` only
// when its `var` runs; esbuild's bundle relies on both (a module's top level may call a function
// declared further down, and the IIFE's `__export(...)` runs before the declarations it names). So:
// - every function declaration that follows some other statement is moved to the top of its
//   block or function body (after any directive), where JavaScript's hoisting already puts it, and
// - a `var` used before its declaration at the same function level (what espruinoFindings flags)
//   gets a bare `var a, b;` at the top of its function.
// The moved text goes on the line of the opening brace and takes its line breaks with it, so a
// body keeps its number of lines and only the stretch between the brace and the old place of a
// moved function changes line numbers (none at all when nothing moved).
//
// Then, on the hoisted bundle, every number literal Espruino would read as another double (its
// parser sums digit·0.1ᵏ: `.3` is 0.30000000000000004 there; espruino-number.ts) becomes an
// expression of exact steps it evaluates to the very double JavaScript reads, `(3/10)`
// (espruinoExactForm, which checks each by evaluating it as Espruino would). A literal with no
// such form (`1e-30`) is left for the checks to refuse with its line. A replacement stays on its
// line, and each is checked in the new text to parse as the parenthesised expression it is meant
// to be (not, say, the arguments of a call after an unterminated line); one that does not is
// left too.
//
// The source map is rebuilt from the same edits, offset by offset (a replaced literal's start
// keeps its mapping), so board errors and build problems still trace to the TypeScript line.
import { parse, type Node } from 'acorn';
import { TraceMap, decodedMap, encodedMap, type SourceMapSegment } from '@jridgewell/trace-mapping';
import { espruinoExactForm, espruinoReadsExactly } from './espruino-number.ts';
import { espruinoFindings, parseScript } from './espruino-syntax.ts';
import { eachChild, isNode, type AnyNode } from './ast.ts';

export interface Lowered {
  code: string;
  /** The source map of `code` (JSON), the input's composed with the edits. */
  map: string;
  /** Function declarations moved to the top of their body. */
  hoistedFunctions: number;
  /** Names declared early with a bare `var`. */
  hoistedVars: number;
  /** Number literals Espruino would misread, replaced by an exact expression (`.3` → `(3/10)`). */
  loweredNumbers: number;
  /** Number literals Espruino would misread that have no exact form here (the checks refuse them). */
  inexactNumbers: number;
}




type Edit = { kind: 'insert'; pos: number; vars: string[]; fns: AnyNode[] } | { kind: 'remove'; pos: number; end: number };
/** Old text copied; or new text, which may stand for an old stretch (`replaces`: its start maps to the text's start). */
type Piece = { from: number; to: number } | { text: string; replaces?: { from: number; to: number } };

/** Where a body's hoisted text goes: after `{` and after any directive prologue. */
function insertionPoint(body: AnyNode[], open: number): number {
  let pos = open;
  for (const st of body) {
    if (st.type === 'ExpressionStatement' && typeof st.directive === 'string') pos = st.end;
    else break;
  }
  return pos;
}

/** The edits for one statement list: its late function declarations, and the vars to declare. */
function editBody(body: AnyNode[], open: number, vars: Set<string> | undefined, edits: Edit[]): void {
  const fns: AnyNode[] = [];
  let seenOther = false;
  for (const st of body) {
    const directive = st.type === 'ExpressionStatement' && typeof st.directive === 'string';
    if (st.type === 'FunctionDeclaration') {
      if (seenOther) fns.push(st);
    } else if (!directive) seenOther = true;
  }
  if (fns.length === 0 && !vars?.size) return;
  edits.push({ kind: 'insert', pos: insertionPoint(body, open), vars: [...(vars ?? [])], fns });
  for (const f of fns) edits.push({ kind: 'remove', pos: f.start, end: f.end });
}

function collectEdits(program: AnyNode, code: string, varsByScope: Map<Node, Set<string>>): Edit[] {
  const edits: Edit[] = [];
  const walk = (n: unknown): void => {
    if (!isNode(n)) return;
    const isFunction = n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression';
    if (n.type === 'Program') editBody(n.body as AnyNode[], 0, varsByScope.get(n), edits);
    else if (isFunction && isNode(n.body) && n.body.type === 'BlockStatement') {
      editBody(n.body.body as AnyNode[], n.body.start + 1, varsByScope.get(n), edits);
      for (const p of n.params as unknown[]) walk(p);
      for (const st of n.body.body as unknown[]) walk(st);
      return;
    } else if (n.type === 'BlockStatement') editBody(n.body as AnyNode[], n.start + 1, undefined, edits);
    else if (n.type === 'StaticBlock') editBody(n.body as AnyNode[], code.indexOf('{', n.start) + 1, undefined, edits);
    eachChild(n, walk);
  };
  walk(program);
  return edits.sort((a, b) => a.pos - b.pos);
}

/** The new text as pieces of the old (each old offset lands in exactly one piece) and inserted text. */
function render(code: string, edits: Edit[]): Piece[] {
  const out: Piece[] = [];
  const copy = (from: number, to: number): void => {
    if (to > from) out.push({ from, to });
  };
  const emit = (start: number, end: number): void => {
    let cursor = start;
    for (const e of edits) {
      // Edits inside a removed function were already emitted with it, at its new place.
      if (e.pos < cursor || e.pos >= end) continue;
      // Emitting a moved function at its new place: its own removal is not an edit of its text.
      if (e.kind === 'remove' && e.pos === start && e.end === end) continue;
      copy(cursor, e.pos);
      cursor = e.pos;
      if (e.kind === 'remove') {
        // Its line breaks moved up with it: every body keeps its count, so lines below stay put.
        cursor = e.end;
      } else {
        // On the brace's (or directive's) line, a space apart; at the very start, a space after.
        const items: (string | AnyNode)[] = e.vars.length > 0 ? [`var ${e.vars.join(', ')};`, ...e.fns] : e.fns;
        for (const item of items) {
          if (e.pos > 0) out.push({ text: ' ' });
          if (typeof item === 'string') out.push({ text: item });
          else emit(item.start, item.end);
          if (e.pos === 0) out.push({ text: ' ' });
        }
      }
    }
    copy(cursor, end);
  };
  emit(0, code.length);
  return out;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** The line (0-based) holding offset `pos`. */
function lineOf(starts: number[], pos: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The input map with every generated position moved as `pieces` moved its text. */
function remap(map: string | object, oldCode: string, newCode: string, pieces: Piece[]): string {
  const tm = new TraceMap(map as ConstructorParameters<typeof TraceMap>[0]);
  const decoded = decodedMap(tm);
  // `collapse`: a replaced stretch, whose every old position maps to the start of its new text.
  const moved: { from: number; to: number; at: number; collapse?: boolean }[] = [];
  let at = 0;
  for (const p of pieces) {
    if ('text' in p) {
      if (p.replaces) moved.push({ ...p.replaces, at, collapse: true });
      at += p.text.length;
    } else {
      moved.push({ from: p.from, to: p.to, at });
      at += p.to - p.from;
    }
  }
  moved.sort((a, b) => a.from - b.from);
  const oldStarts = lineStarts(oldCode);
  const newStarts = lineStarts(newCode);
  const lines: SourceMapSegment[][] = newStarts.map(() => []);
  decoded.mappings.forEach((segments, line) => {
    for (const seg of segments) {
      const pos = (oldStarts[line] ?? oldCode.length) + seg[0];
      let lo = 0;
      let hi = moved.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (moved[mid]!.from <= pos) lo = mid;
        else hi = mid - 1;
      }
      const m = moved[lo];
      if (!m || pos < m.from || pos >= m.to) continue; // past the end of the code: nothing to map
      const np = m.collapse ? m.at : m.at + (pos - m.from);
      const nl = lineOf(newStarts, np);
      lines[nl]!.push([np - newStarts[nl]!, ...seg.slice(1)] as SourceMapSegment);
    }
  });
  for (const l of lines) l.sort((a, b) => a[0] - b[0]);
  return JSON.stringify(encodedMap(new TraceMap({ ...decoded, mappings: lines })));
}

const PROPERTY_KEY_PARENTS = new Set(['Property', 'MethodDefinition', 'PropertyDefinition']);

/** Parses with `(…)` kept as ParenthesizedExpression nodes: the spans of all of them. */
function parenthesisedSpans(code: string): Set<string> | null {
  let program: Node;
  try {
    program = parse(code, { ecmaVersion: 'latest', sourceType: 'script', preserveParens: true });
  } catch {
    return null;
  }
  const spans = new Set<string>();
  const walk = (n: unknown): void => {
    if (!isNode(n)) return;
    if (n.type === 'ParenthesizedExpression') spans.add(`${n.start}:${n.end}`);
    eachChild(n, walk);
  };
  walk(program);
  return spans;
}

type Replacement = { start: number; end: number; text: string };

/** The new text as pieces: the replacements (sorted, disjoint) in place of their stretches. */
function replacementPieces(code: string, replacements: Replacement[]): Piece[] {
  const out: Piece[] = [];
  let cursor = 0;
  for (const r of replacements) {
    if (r.start > cursor) out.push({ from: cursor, to: r.start });
    out.push({ text: r.text, replaces: { from: r.start, to: r.end } });
    cursor = r.end;
  }
  if (cursor < code.length) out.push({ from: cursor, to: code.length });
  return out;
}

const joinPieces = (code: string, pieces: Piece[]): string => pieces.map((p) => ('text' in p ? p.text : code.slice(p.from, p.to))).join('');

/** The number literals Espruino misreads, replaced by exact expressions (see the top of this file). */
function lowerNumbers(code: string, map: string): { code: string; map: string; lowered: number; left: number } {
  let program: Node;
  try {
    program = parseScript(code);
  } catch {
    return { code, map, lowered: 0, left: 0 };
  }
  let left = 0;
  let replacements: Replacement[] = [];
  const walk = (n: unknown, parent: AnyNode | null): void => {
    if (!isNode(n)) return;
    // A key's number is a name, not a value (`{ 0.5: x }`): not read as a number.
    const isKey = parent !== null && PROPERTY_KEY_PARENTS.has(parent.type) && parent.key === n && !parent.computed;
    if (n.type === 'Literal' && typeof n.value === 'number' && typeof n.raw === 'string' && !isKey && !espruinoReadsExactly(n.raw, n.value)) {
      const text = espruinoExactForm(n.value);
      if (text === null) left++;
      else replacements.push({ start: n.start, end: n.end, text });
      return;
    }
    eachChild(n, (c) => walk(c, n));
  };
  walk(program, null);
  replacements.sort((a, b) => a.start - b.start);
  // Each replacement must parse as its own parenthesised expression; drop any that does not, and check again.
  for (;;) {
    if (replacements.length === 0) return { code, map, lowered: 0, left };
    const out = joinPieces(code, replacementPieces(code, replacements));
    const spans = parenthesisedSpans(out);
    const kept: Replacement[] = [];
    let shift = 0;
    for (const r of replacements) {
      const start = r.start + shift;
      if (spans?.has(`${start}:${start + r.text.length}`)) kept.push(r);
      shift += r.text.length - (r.end - r.start);
    }
    if (kept.length === replacements.length) break;
    left += replacements.length - kept.length;
    replacements = kept;
  }
  const pieces = replacementPieces(code, replacements);
  const out = joinPieces(code, pieces);
  return { code: out, map: remap(map, code, out, pieces), lowered: replacements.length, left };
}

/**
 * Hoists what Espruino does not, then replaces the number literals it would misread (see the top
 * of this file). `topVars`: names to declare with `var` at the top of the script (the build's
 * `pt`, which the entry assigns). Code that does not parse is returned as is.
 */
export function lowerForEspruino(code: string, map: string | object, topVars: readonly string[] = []): Lowered {
  const mapText = typeof map === 'string' ? map : JSON.stringify(map);
  let program: Node;
  try {
    program = parseScript(code);
  } catch {
    // the checks report the parse error
    return { code, map: mapText, hoistedFunctions: 0, hoistedVars: 0, loweredNumbers: 0, inexactNumbers: 0 };
  }
  const varsByScope = new Map<Node, Set<string>>();
  const declare = (scope: Node, name: string): void => {
    const set = varsByScope.get(scope) ?? new Set<string>();
    set.add(name);
    varsByScope.set(scope, set);
  };
  let hoistedVars = 0;
  for (const f of espruinoFindings(program)) {
    if ((f.rule === 'varAssignHoisting' || f.rule === 'varReadHoisting') && f.scopeNode && f.name) declare(f.scopeNode, f.name);
  }
  for (const set of varsByScope.values()) hoistedVars += set.size;
  for (const name of topVars) declare(program, name);
  const edits = collectEdits(program as AnyNode, code, varsByScope);
  let hoisted = { code, map: mapText };
  let hoistedFunctions = 0;
  if (edits.length > 0) {
    const pieces = render(code, edits);
    const out = joinPieces(code, pieces);
    for (const e of edits) if (e.kind === 'insert') hoistedFunctions += e.fns.length;
    hoisted = { code: out, map: remap(map, code, out, pieces) };
  }
  const numbers = lowerNumbers(hoisted.code, hoisted.map);
  return { code: numbers.code, map: numbers.map, hoistedFunctions, hoistedVars, loweredNumbers: numbers.lowered, inexactNumbers: numbers.left };
}
