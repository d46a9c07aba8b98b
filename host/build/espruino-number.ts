// How Espruino 2v29 reads and writes numbers, step by step in double arithmetic (JavaScript's
// doubles are IEEE binary64, as the board's are, and JavaScript has no fused multiply-add, as the
// board's soft-float doubles have none). Read from espruino/Espruino at 2v2x (the amalgamated
// bin/espruino_embedded.c holds the same functions as the files named here):
//
// Reading. The lexer (src/jslex.c, jslGetNextToken, case JSLJT_NUMBER) collects a number's text
// and decides its kind; it does not accumulate a value itself:
// - `0x…`, `0b…`, `0o…` (either case) cannot be floating: LEX_INT. So is a run of digits with no
//   `.` and no exponent. `_` separators are skipped; a token keeps at most 63 characters
//   (JSLEX_MAX_TOKEN_LENGTH 64, less the NUL), the rest are dropped silently.
// - `.5` (a `.` then a digit), `1.`, `1.5`, `5e3`, `1e-8`: LEX_FLOAT.
// The parser (src/jsparse.c, jspeFactor) turns LEX_INT into jsvNewFromLongInteger(stringToInt(text)):
// a 64-bit integer, v = v·radix + d, wrapping past 2⁶³, then a 32-bit int if it fits and otherwise
// (double)v, which rounds correctly. So an integer literal below 2⁶³ is read as JavaScript reads
// it. LEX_FLOAT becomes stringToFloat(text) (src/jsutils.c, stringToFloatWithRadix), which sums
// in doubles: the integer part as v = v·10 + d, each fraction digit as v += mul·d with mul = 0.1
// divided by 10 per digit, and the exponent as that many v *= 10 or v /= 10. Each step rounds, so
// `0.3` is 0.30000000000000004, `0.95` is 0.9500000000000001 and `1e-8` is 1.0000000000000002e-8.
// JSON.parse reads its numbers with the same lexer and the same two functions (src/jswrap_json.c).
// Number("…") (jsvAsNumber, src/jsvar.c) uses stringToInt for a string of digits and otherwise
// stringToFloatWithRadix on the whole string, so a decimal string reads as its literal would.
//
// Writing. String(x), print/console.log and JSON.stringify all come to jsvAsString (src/jsvar.c),
// which writes an int (a JsVarInt, 32 bits) with itostr, exactly, and a double with
// ftoa_bounded(x, buf, 70) = ftoa_bounded_extra(x, buf, 70, 10, -1) (src/jsutils.c): see
// espruinoFtoa for its rules. For an integer below 2³¹ both give the same text.
//
// One model for both the build (which lowers the literals Espruino would misread) and the virtual
// Espruino (which must read and print as the board does).

/** Most characters a number token keeps (JSLEX_MAX_TOKEN_LENGTH 64, less the terminating NUL). */
export const ESPRUINO_MAX_TOKEN = 63;

/** The buffer jsvAsString gives ftoa_bounded (src/jsvar.c). */
export const ESPRUINO_NUMBER_BUFFER = 70;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** isWhitespace (src/jsutils.c): tab, vertical tab, form feed, space, \n, \r. */
const isWhitespace = (c: string | undefined): boolean => c === '\t' || c === '\v' || c === '\f' || c === ' ' || c === '\n' || c === '\r';

/** chtod (src/jsutils.c): a digit or letter as its value (a–z, A–Z are 10–35); -1 for anything else. */
function chtod(c: string | undefined): number {
  if (c === undefined) return -1;
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 97 + 10;
  if (c >= 'A' && c <= 'Z') return c.charCodeAt(0) - 65 + 10;
  return -1;
}

/**
 * getRadix (src/jsutils.c), from `i`: `0o`/`0x`/`0b` (either case) give 8/16/2 and skip the prefix;
 * another leading `0` gives 8 unless a `.`, `8` or `9` comes before the first non-digit (so `0.5`
 * is decimal, `017` octal, and `0e5` octal too: it stops at the `e` and reads 0, its value anyway);
 * else 10. The leading `0` is skipped in every case.
 */
function getRadix(s: string, i: number): { radix: number; i: number } {
  if (s[i] !== '0') return { radix: 10, i };
  i++;
  const c = s[i];
  if (c === 'o' || c === 'O') return { radix: 8, i: i + 1 };
  if (c === 'x' || c === 'X') return { radix: 16, i: i + 1 };
  if (c === 'b' || c === 'B') return { radix: 2, i: i + 1 };
  let radix = 8;
  for (let p = i; p < s.length; p++) {
    const ch = s[p]!;
    if (ch === '.' || ch === '8' || ch === '9') radix = 10;
    else if (ch < '0' || ch > '9') break;
  }
  return { radix, i };
}

/** Where a number's digits start, as both of Espruino's readers skip to them: whitespace, then one sign. */
function numberLead(s: string): { i: number; negated: boolean } {
  let i = 0;
  while (isWhitespace(s[i])) i++;
  if (s[i] === '-') return { i: i + 1, negated: true };
  return { i: s[i] === '+' ? i + 1 : i, negated: false };
}

/** stringToInt = stringToIntWithRadix(s, 0, …) (src/jsutils.c): a C `long long`, which wraps past 2⁶³. */
export function espruinoStringToInt(s: string): bigint {
  const lead = numberLead(s);
  let i = lead.i;
  const negated = lead.negated;
  const r = getRadix(s, i);
  i = r.i;
  const radix = BigInt(r.radix);
  let v = 0n;
  for (; i < s.length; i++) {
    const d = chtod(s[i]);
    if (d < 0 || d >= r.radix) break;
    v = BigInt.asIntN(64, v * radix + BigInt(d));
  }
  return negated ? BigInt.asIntN(64, -v) : v;
}

/** jsvNewFromLongInteger (src/jsvar.c): a 32-bit int when it fits, else (double)v, correctly rounded (as Number(bigint) is). */
const fromLongInteger = (v: bigint): number => Number(v);

/**
 * stringToFloat = stringToFloatWithRadix(s, 0, NULL) (src/jsutils.c), in doubles as the C does it:
 * whitespace and a sign skipped; getRadix; the integer part as v = v·radix + d; in radix 10 only,
 * the fraction as v += mul·d with mul starting at 0.1 and divided by 10 per digit, and an exponent
 * (a C int) as that many v *= 10 or v /= 10. Text after the number is ignored; no digits at all
 * (or a lone `.`) is NaN.
 */
export function espruinoStringToFloat(s: string): number {
  const lead = numberLead(s);
  let i = lead.i;
  const negated = lead.negated;
  const numberStart = i;
  const r = getRadix(s, i);
  i = r.i;
  const radix = r.radix;
  let v = 0;
  let mul = 0.1;
  for (; i < s.length; i++) {
    const d = chtod(s[i]);
    if (d < 0 || d >= radix) break;
    v = v * radix + d;
  }
  if (radix === 10) {
    if (s[i] === '.') {
      i++;
      for (; isDigit(s[i]); i++) {
        v += mul * (s.charCodeAt(i) - 48);
        mul /= 10;
      }
    }
    if (s[i] === 'e' || s[i] === 'E') {
      i++;
      let eNegated = false;
      if (s[i] === '-' || s[i] === '+') eNegated = s[i++] === '-';
      let e = 0;
      for (; isDigit(s[i]); i++) e = (Math.imul(e, 10) + (s.charCodeAt(i) - 48)) | 0;
      if (eNegated) e = -e | 0;
      // Once v is 0 or infinite, more steps change nothing: stop (a C int exponent can be 2³¹).
      for (; e > 0 && v !== Infinity && v !== 0; e--) v *= 10;
      for (; e < 0 && v !== 0; e++) v /= 10;
    }
  }
  if (i === numberStart || (s[numberStart] === '.' && i === numberStart + 1)) return NaN;
  return negated ? -v : v;
}

/**
 * The value Espruino 2v29 gives a number literal, or a number in JSON: `text` is the literal as
 * written (`0.3`, `.5`, `1e-8`, `2.5e-7`, `0x1F`, `1_000`), optionally with a leading `-` or `+`
 * (a separate token in the source, applied to the value read). The lexer's rules decide LEX_INT
 * (read exactly, below 2⁶³) or LEX_FLOAT (espruinoStringToFloat); see the top of this file.
 * Text that is not one number token is NaN.
 */
export function espruinoParseNumber(text: string): number {
  let p = 0;
  let negated = false;
  if (text[0] === '-' || text[0] === '+') {
    negated = text[0] === '-';
    p = 1;
  }
  // jslGetNextToken, case JSLJT_NUMBER.
  let token = '';
  const append = (c: string): void => {
    if (token.length < ESPRUINO_MAX_TOKEN) token += c;
  };
  let isFloat = false;
  let canBeFloating = true;
  if (text[p] === '.') {
    if (!isDigit(text[p + 1])) return NaN; // a `.` token, not a number
    p++;
    isFloat = true;
    append('.');
  } else {
    if (!isDigit(text[p])) return NaN;
    if (text[p] === '0') {
      append('0');
      p++;
      const c = text[p];
      if (c === 'x' || c === 'X' || c === 'b' || c === 'B' || c === 'o' || c === 'O') {
        canBeFloating = false;
        append(c);
        p++;
      }
    }
    while (isDigit(text[p]) || (!canBeFloating && isHex(text[p])) || text[p] === '_') {
      if (text[p] !== '_') append(text[p]!);
      p++;
    }
    if (canBeFloating && text[p] === '.') {
      isFloat = true;
      append('.');
      p++;
    }
  }
  if (isFloat) {
    while (isDigit(text[p]) || text[p] === '_') {
      if (text[p] !== '_') append(text[p]!);
      p++;
    }
  }
  if (canBeFloating && (text[p] === 'e' || text[p] === 'E')) {
    isFloat = true;
    append(text[p]!);
    p++;
    if (text[p] === '-' || text[p] === '+') append(text[p++]!);
    while (isDigit(text[p]) || text[p] === '_') {
      if (text[p] !== '_') append(text[p]!);
      p++;
    }
  }
  if (p !== text.length) return NaN;
  const value = isFloat ? espruinoStringToFloat(token) : fromLongInteger(espruinoStringToInt(token));
  return negated ? -value : value;
}

/** A C cast of a double to a 32-bit int as the board does it (libgcc's __aeabi_d2iz): toward zero, saturating, NaN as 0. */
function toInt32(x: number): number {
  if (Number.isNaN(x)) return 0;
  if (x >= 2147483647) return 2147483647;
  if (x <= -2147483648) return -2147483648;
  return Math.trunc(x);
}

/** itoch (src/jsutils.c): '0' + v below 10, else 'a' + v - 10 (C char arithmetic, whatever v is). */
const itoch = (v: number): string => String.fromCharCode(v < 10 ? 48 + v : 97 + v - 10);

/**
 * ftoa_bounded_extra(val, str, len, radix, fractionalDigits) (src/jsutils.c), rule by rule:
 * 1. NaN, Infinity, -Infinity by name. A negative value: `-`, then its magnitude.
 * 2. In radix 10 with fractionalDigits < 0 (String's case), a value ≥ 1e21 is divided by 100000
 *    while above 100000 and then by 10 while above 10 (so it ends in (1, 10], and 1e21 ends at
 *    exactly 10: "10e+20"); a value below 1e-6 is multiplied by 100000 while below 1e-5 and then
 *    by 10 while below 1; each step counts in the exponent, written at the end.
 * 3. A value within 1e-7 below the next integer becomes that integer: (int)(val + 1e-7) ==
 *    1 + (int)val, in 32-bit ints (so only below 2³¹; saturating as on the board). String(0.99999999)
 *    is "1".
 * 4. The integer part digit by digit: d the largest power of the radix ≤ val, then
 *    v = (int)(val / d), val -= v·d, d /= radix while d ≥ 1.
 * 5. The fraction: val *= radix, then while val > 1e-7, at most 11 digits (fractionalDigits runs
 *    -1 … -11): v = (int)(val + 1e-8), val = (val - v)·radix; a 10 is written as 9. The `.` is
 *    written with the first such digit. So digits are truncated, not rounded: String(1/3) is
 *    "0.33333333333", String(0.1 + 0.2) is "0.3". (With fractionalDigits > 0 it writes exactly
 *    that many digits, the last with +0.5.)
 * 6. An exponent from 2 as `e`, `+` when positive, and its digits: String(1e-8) is "1e-8",
 *    String(2.5e-7) is "2.5e-7" (what stays lost is the rest of the digits).
 * Every character counts against `len` (one is kept for the NUL): at 0 the text stops there; the
 * exponent is written only while more than 5 remain.
 */
export function espruinoFtoa(val: number, radix = 10, fractionalDigits = -1, len = ESPRUINO_NUMBER_BUFFER): string {
  const stopAtError = 0.0000001;
  if (Number.isNaN(val)) return 'NaN';
  if (val === Infinity) return 'Infinity';
  if (val === -Infinity) return '-Infinity';
  let out = '';
  if (val < 0) {
    if (--len <= 0) return out;
    out += '-';
    val = -val;
  }
  let exponent = 0;
  if (radix === 10 && val > 0 && fractionalDigits < 0) {
    if (val >= 1e21) {
      while (val > 100000) {
        val /= 100000;
        exponent += 5;
      }
      while (val > 10) {
        val /= 10;
        exponent++;
      }
    } else if (val < 1e-6) {
      while (val < 1e-5) {
        val *= 100000;
        exponent -= 5;
      }
      while (val < 1) {
        val *= 10;
        exponent--;
      }
    }
  }
  // (JsVarInt)(val+stopAtError) == (1+(JsVarInt)val): the sum is an int, which wraps.
  if (toInt32(val + stopAtError) === ((1 + toInt32(val)) | 0)) val = (1 + toInt32(val)) | 0;
  let d = 1;
  while (d * radix <= val) d *= radix;
  while (d >= 1) {
    const v = toInt32(val / d);
    val -= v * d;
    if (--len <= 0) return out;
    out += itoch(v);
    d /= radix;
  }
  if ((fractionalDigits < 0 && val > 0) || fractionalDigits > 0) {
    let hasPt = false;
    val *= radix;
    while ((fractionalDigits < 0 && fractionalDigits > -12 && val > stopAtError) || fractionalDigits > 0) {
      let v = toInt32(val + (fractionalDigits === 1 ? 0.5 : 0.00000001));
      val = (val - v) * radix;
      if (v === radix) v = radix - 1;
      if (!hasPt) {
        hasPt = true;
        if (--len <= 0) return out;
        out += '.';
      }
      if (--len <= 0) return out;
      out += itoch(v);
      fractionalDigits--;
    }
  }
  if (exponent !== 0 && len > 5) return out + 'e' + (exponent > 0 ? '+' : '') + String(exponent);
  return out;
}

/**
 * How Espruino 2v29 prints a number: String(x), print/console.log and JSON.stringify (whose
 * non-finite numbers are `null` before this is reached). jsvAsString writes a double with
 * ftoa_bounded(x, buf, 70) (espruinoFtoa's rules) and a 32-bit int with itostr, which give the
 * same text for every int, so this is espruinoFtoa(x).
 */
export function espruinoNumberText(x: number): string {
  return espruinoFtoa(x, 10, -1, ESPRUINO_NUMBER_BUFFER);
}

// ---------------------------------------------------------------- exact forms for the build

/** The largest power of ten a double holds exactly (5²² < 2⁵³). */
const MAX_EXACT_POW10 = 22;
/** Integer literals below this are read exactly (a C long long: 2⁶³ wraps). */
const INT64_LIMIT = 2n ** 63n;

/** x = m · 2^e exactly (x finite, > 0). */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  return exp === 0 ? { m: frac, e: -1074 } : { m: frac | (1n << 52n), e: exp - 1075 };
}

/** floor and ceiling of num/den (positive): the integers to try. */
function nearIntegers(num: bigint, den: bigint): bigint[] {
  const q = num / den;
  return num % den === 0n ? [q] : [q, q + 1n];
}

/**
 * The text of an integer literal Espruino reads as exactly n, or null: n below 2⁶³ (read as a
 * 64-bit integer) and a double (so the conversion to one does not round).
 */
function integerText(n: bigint): string | null {
  if (n < 1n || n >= INT64_LIMIT || BigInt(Number(n)) !== n) return null;
  const text = String(n);
  return espruinoParseNumber(text) === Number(n) ? text : null;
}

/** 10^k as Espruino reads it exactly: the integer literal up to 10¹⁸, then `1e19` … `1e22` (1·10·…·10, each step exact). */
function pow10Text(k: number): string | null {
  const text = k <= 18 ? '1' + '0'.repeat(k) : `1e${k}`;
  return espruinoParseNumber(text) === 10 ** k ? text : null;
}

/**
 * An expression Espruino 2v29 evaluates to exactly `x` (a literal's value: finite, > 0), made of
 * exact steps only: `(N/D)` or `(N*D)`, N an integer literal (below 2⁶³ and a double, so read
 * exactly) and D a power of ten up to 10²² (exact in a double, and read exactly), combined by one
 * IEEE division or multiplication, which rounds correctly: the result is the double nearest to
 * N/D or N·D, as JavaScript's reading of the decimal is. Preferred: the quotient with the fewest
 * decimals (the literal's own, as a rule), then the shortest product; failing both, D a power of
 * two up to 2⁶² (an operation that does not even round: Number.EPSILON is `(1/4503599627370496)`).
 * Each candidate is checked by evaluating it as Espruino would (N and D through
 * espruinoParseNumber, then the operation in JavaScript, the same IEEE operation).
 * `0.3` → `(3/10)`, `1e-8` → `(1/100000000)`, `2.5e-7` → `(25/100000000)`. In parentheses it is
 * one expression wherever the literal stood (after a unary `-`, before a `.member`). null when no
 * form fits, e.g. for 1e-30, which needs 10³⁰, more than a double holds exactly.
 */
export function espruinoExactForm(x: number): string | null {
  return exactForm(x, true);
}

/** espruinoExactForm, with the two-division forms only when `twoSteps` (their inner step takes one). */
function exactForm(x: number, twoSteps: boolean): string | null {
  if (!Number.isFinite(x) || !(x > 0)) return null;
  const { m, e } = decompose(x);
  const attempt = (n: bigint, dText: string, op: '/' | '*'): string | null => {
    const nText = integerText(n);
    if (nText === null) return null;
    const v = espruinoParseNumber(nText);
    const d = espruinoParseNumber(dText);
    return (op === '/' ? v / d : v * d) === x ? `(${nText}${op}${dText})` : null;
  };
  const shorter = (a: string | null, b: string | null): string | null => (a === null ? b : b === null || a.length <= b.length ? a : b);
  // N / 10^k, N near x·10^k = m·10^k·2^e: the fewest decimals first.
  for (let k = 1; k <= MAX_EXACT_POW10; k++) {
    const dText = pow10Text(k);
    if (dText === null) continue;
    const p = 10n ** BigInt(k);
    let found: string | null = null;
    for (const n of e >= 0 ? [(m * p) << BigInt(e)] : nearIntegers(m * p, 1n << BigInt(-e))) found = shorter(found, attempt(n, dText, '/'));
    if (found !== null) return found;
  }
  // N · 10^k, N near x / 10^k: the shortest.
  let product: string | null = null;
  for (let k = 1; k <= MAX_EXACT_POW10; k++) {
    const dText = pow10Text(k);
    if (dText === null) continue;
    const p = 10n ** BigInt(k);
    for (const n of e >= 0 ? nearIntegers(m << BigInt(e), p) : nearIntegers(m, p << BigInt(-e))) product = shorter(product, attempt(n, dText, '*'));
  }
  if (product !== null) return product;
  // x = odd · 2^j exactly: (odd / 2^-j) or (odd * 2^j), with the power of two an integer literal.
  let odd = m;
  let j = e;
  while ((odd & 1n) === 0n) {
    odd >>= 1n;
    j++;
  }
  if (j < 0 && j >= -62) return attempt(odd, String(2n ** BigInt(-j)), '/');
  if (j > 0 && j <= 62) return attempt(odd, String(2n ** BigInt(j)), '*');
  // Beyond one step (1e-30, which needs 10^30): N / 10^a / 10^b, two IEEE divisions, kept only when
  // evaluating it exactly as Espruino would gives x (the second rounding usually lands on it).
  if (!twoSteps) return null;
  for (let a = MAX_EXACT_POW10; a >= 1; a--) {
    const first = pow10Text(a);
    const inner = first === null ? null : exactForm(x * espruinoParseNumber(first), false);
    if (inner === null || !/^\(\d+\/\d+\)$/.test(inner)) continue;
    const parts = /^\((\d+)\/(\d+)\)$/.exec(inner)!;
    const v = espruinoParseNumber(parts[1]) / espruinoParseNumber(parts[2]) / espruinoParseNumber(first!);
    if (v === x) return `(${parts[1]}/${parts[2]}/${first})`;
  }
  return null;
}

/** Whether Espruino reads the literal `raw` (its text in the source) as `value`, the double JavaScript reads. */
export function espruinoReadsExactly(raw: string, value: number): boolean {
  return Object.is(espruinoParseNumber(raw), value);
}
