// Programs for the Duktape proxy: Duktape 2.7 parses ES5.1 (no let/const, arrows, classes, template
// literals), and the firmware bundle is ES2019. TypeScript's transpiler lowers the bundle's text to
// ES5 (the generated training kernels are ES5 already). Built-ins that Duktape lacks and the bundle
// calls get small stand-ins in the prelude, and nothing else: every stand-in is JavaScript where the
// board has native code, so each one is kept off the training paths.
import ts from 'typescript';

/** ES2019 script text → ES5 script text (the same statements; classes become prototype functions). */
export function lowerToEs5(code: string): string {
  const r = ts.transpileModule(code, {
    // CommonJS only because transpileModule insists on a module kind; the bundle has no import or
    // export, so it stays a plain script (checked below).
    compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.CommonJS, removeComments: false },
    reportDiagnostics: true,
  });
  const errors = (r.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) throw new Error('lowering to ES5 failed: ' + errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join('; '));
  if (/\bexports\.|require\(/.test(r.outputText.slice(0, 2000))) throw new Error('the lowered bundle became a module');
  return r.outputText;
}

/**
 * Stand-ins for what Duktape 2.7 lacks and the firmware calls. TypedArray fill: trainer set-up and
 * stop (Float64Array(f).fill(1), acc.fill(0)), never per sample. TypedArray sort: the curriculum's
 * set-up. Each is installed only when missing.
 */
export const PRELUDE = `(function () {
  var TA = Object.getPrototypeOf(Uint8Array.prototype);
  function clamp(v, n, d) { if (v === undefined) return d; v = Math.floor(Number(v)) || 0; return v < 0 ? Math.max(n + v, 0) : Math.min(v, n); }
  if (typeof TA.fill !== 'function') {
    Object.defineProperty(TA, 'fill', { writable: true, configurable: true, value: function (v, start, end) {
      var n = this.length, e = clamp(end, n, n);
      for (var i = clamp(start, n, 0); i < e; i++) this[i] = v;
      return this;
    } });
  }
  if (typeof TA.sort !== 'function') {
    Object.defineProperty(TA, 'sort', { writable: true, configurable: true, value: function (cmp) {
      var a = Array.prototype.slice.call(this);
      a.sort(cmp || function (x, y) { return x - y; });
      for (var i = 0; i < a.length; i++) this[i] = a[i];
      return this;
    } });
  }
})();
`;
