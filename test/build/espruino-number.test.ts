// Espruino 2v29's reading and printing of numbers (host/build/espruino-number.ts), and the exact
// forms the build writes for the literals it would misread.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ESPRUINO_MAX_TOKEN,
  espruinoExactForm,
  espruinoFtoa,
  espruinoNumberText,
  espruinoParseNumber,
  espruinoReadsExactly,
  espruinoStringToFloat,
  espruinoStringToInt,
} from '../../host/build/espruino-number.ts';

/** Evaluates an exact form as Espruino would: each literal read as it reads it, then the one operation. */
/** An exact form evaluated as Espruino would: each integer literal read its way, then the IEEE steps left to right. */
function evaluate(form: string): number {
  const m = /^\((\w+)((?:[/*]\w+)+)\)$/.exec(form);
  if (!m) return espruinoParseNumber(form);
  let v = espruinoParseNumber(m[1]!);
  for (const step of m[2]!.match(/[/*]\w+/g)!) {
    const d = espruinoParseNumber(step.slice(1));
    v = step[0] === '/' ? v / d : v * d;
  }
  return v;
}

describe('espruinoParseNumber: how Espruino reads a number literal', () => {
  it('misreads the decimals of the facts (digits summed as digit·0.1ᵏ, exponents by repeated ×10 or ÷10)', () => {
    expect(espruinoParseNumber('0.3')).toBe(0.30000000000000004);
    expect(espruinoParseNumber('.3')).toBe(0.30000000000000004);
    expect(espruinoParseNumber('0.95')).toBe(0.9500000000000001);
    expect(espruinoParseNumber('1e-8')).toBe(1.0000000000000002e-8);
    expect(espruinoParseNumber('2.5e-7')).toBe(2.5000000000000004e-7);
    expect(espruinoParseNumber('1e-30')).toBe(1.0000000000000003e-30);
    expect(espruinoParseNumber('-0.3')).toBe(-0.30000000000000004);
  });

  it('reads these exactly: halves, tenths that come out right, positive exponents of exact powers, other radixes', () => {
    const exact = ['.5', '1.5', '0.1', '0.2', '0.25', '5e3', '1e21', '1e22', '602e21', '0x1F', '0X1f', '0b101', '0o17', '1_000', '0.000_5e1', '0e5', '0', '42'];
    for (const raw of exact) expect(espruinoParseNumber(raw), raw).toBe(Number(raw.replace(/_/g, '')));
    expect(espruinoParseNumber('-0')).toBe(-0);
  });

  it('reads an integer literal as a 64-bit integer: exact below 2⁶³ (then rounded as JavaScript does), wrapping past it', () => {
    expect(espruinoParseNumber('9007199254740993')).toBe(9007199254740992);
    expect(espruinoParseNumber('9223372036854775807')).toBe(9223372036854775807);
    expect(espruinoParseNumber('18446744073709551616')).toBe(0);
    expect(espruinoParseNumber('123456789012345678901')).toBe(Number(BigInt.asIntN(64, 123456789012345678901n)));
    expect(espruinoStringToInt('0x7fffffffffffffff')).toBe(2n ** 63n - 1n);
    // A legacy octal, and one with an 8 or 9, which is decimal.
    expect(espruinoParseNumber('017')).toBe(15);
    expect(espruinoParseNumber('019')).toBe(19);
  });

  it('keeps 63 characters of a number token and drops the rest', () => {
    const tiny = '0.' + '0'.repeat(70) + '1';
    expect(espruinoParseNumber(tiny)).toBe(0);
    expect(espruinoParseNumber('1' + '0'.repeat(ESPRUINO_MAX_TOKEN - 1) + '.5')).toBe(espruinoStringToFloat('1' + '0'.repeat(ESPRUINO_MAX_TOKEN - 1)));
  });

  it('is NaN for text that is not one number token', () => {
    for (const t of ['', '.', '-', 'abc', '1.2.3', '1e5x', '.e5']) expect(espruinoParseNumber(t), t).toBeNaN();
    // `0x` is one token, in which stringToInt finds no digits: 0.
    expect(espruinoParseNumber('0x')).toBe(0);
  });

  it('follows stringToFloat on free text: whitespace and a sign skipped, trailing text ignored', () => {
    expect(espruinoStringToFloat('  12.5xyz')).toBe(12.5);
    expect(espruinoStringToFloat('+.5')).toBe(0.5);
    expect(espruinoStringToFloat('.')).toBeNaN();
    expect(espruinoStringToFloat('-')).toBeNaN();
    expect(espruinoStringToFloat('1e400')).toBe(Infinity);
    expect(espruinoStringToFloat('1e-400')).toBe(0);
  });

  it('reads every integer up to 2⁵³ exactly, as an integer literal and through the decimal path', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(espruinoParseNumber(String(n))).toBe(n);
        expect(espruinoParseNumber(`${n}.0`)).toBe(n);
        expect(espruinoParseNumber(`${n}.`)).toBe(n);
        expect(espruinoParseNumber(`${n}e0`)).toBe(n);
        expect(espruinoParseNumber(`-${n}`)).toBe(-n);
        expect(espruinoReadsExactly(String(n), n)).toBe(true);
      }),
      { numRuns: 5000 },
    );
    for (const n of [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53]) expect(espruinoParseNumber(String(n))).toBe(n);
  });
});

describe('espruinoNumberText: how Espruino prints a number (String, print, JSON.stringify)', () => {
  it('gives the facts: at most 11 digits after the point, truncated, stopping below 1e-7', () => {
    expect(espruinoNumberText(1 / 3)).toBe('0.33333333333');
    expect(espruinoNumberText(2 / 3)).toBe('0.66666666666');
    expect(espruinoNumberText(0.1 + 0.2)).toBe('0.3');
    expect(espruinoNumberText(0.99999999)).toBe('1');
    expect(espruinoNumberText(123.456)).toBe('123.456');
    expect(espruinoNumberText(-0.5)).toBe('-0.5');
    expect(espruinoNumberText(0.000002)).toBe('0.000002');
  });

  it('writes a value below 1e-6 or from 1e21 with an exponent (read from ftoa_bounded_extra, not checked on a board)', () => {
    // 1e-8 keeps only its leading digit's worth: 1e-8 and Espruino's own reading of `1e-8` print alike.
    expect(espruinoNumberText(1e-8)).toBe('1e-8');
    expect(espruinoNumberText(espruinoParseNumber('1e-8'))).toBe('1e-8');
    expect(espruinoNumberText(1.2345e-8)).toBe('1.2345e-8');
    expect(espruinoNumberText(2.5e-7)).toBe('2.5e-7');
    expect(espruinoNumberText(1e-7)).toBe('1e-7');
    // 1e21 is divided down to exactly 10: "10e+20".
    expect(espruinoNumberText(1e21)).toBe('10e+20');
    expect(espruinoNumberText(1.5e300)).toBe('1.5e+300');
    expect(espruinoNumberText(1e100 / 3)).toBe('3.33333333333e+99');
    expect(espruinoNumberText(1e20)).toBe('100000000000000000000');
  });

  it('names the non-finite values and writes both zeros as 0', () => {
    expect(espruinoNumberText(NaN)).toBe('NaN');
    expect(espruinoNumberText(Infinity)).toBe('Infinity');
    expect(espruinoNumberText(-Infinity)).toBe('-Infinity');
    expect(espruinoNumberText(0)).toBe('0');
    expect(espruinoNumberText(-0)).toBe('0');
  });

  it('writes integers as JavaScript does, up to 2⁵³ (itostr and ftoa agree)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger()), (n) => {
        expect(espruinoNumberText(n)).toBe(String(n));
      }),
      { numRuns: 5000 },
    );
    expect(espruinoNumberText(2 ** 53)).toBe('9007199254740992');
  });

  it('never writes more than 11 digits after the point, and reads back within 1e-7 of the value (below 1e6)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => {
        const text = espruinoNumberText(x);
        const [mantissa] = text.split('e');
        const fraction = mantissa!.split('.')[1] ?? '';
        expect(fraction.length).toBeLessThanOrEqual(11);
        if (!text.includes('e')) expect(Math.abs(Number(text) - x)).toBeLessThanOrEqual(1.5e-7 * Math.max(1, Math.abs(x)));
      }),
      { numRuns: 5000 },
    );
  });

  it('follows ftoa_bounded_extra for a fixed count of digits and a short buffer', () => {
    expect(espruinoFtoa(1.25, 10, 3)).toBe('1.250');
    expect(espruinoFtoa(0.5, 10, 1)).toBe('0.5');
    expect(espruinoFtoa(255, 16, -1)).toBe('ff');
    // Ten characters of room: nine and the NUL.
    expect(espruinoFtoa(1 / 3, 10, -1, 10)).toBe('0.3333333');
  });
});

describe('espruinoExactForm: exact expressions for the literals Espruino would misread', () => {
  it('writes the facts as one correctly rounded operation on integer literals', () => {
    expect(espruinoExactForm(0.3)).toBe('(3/10)');
    expect(espruinoExactForm(0.95)).toBe('(95/100)');
    expect(espruinoExactForm(1e-8)).toBe('(1/100000000)');
    expect(espruinoExactForm(2.5e-7)).toBe('(25/100000000)');
    expect(espruinoExactForm(1e30)).toBe('(100000000*1e22)');
    expect(espruinoExactForm(Number.EPSILON)).toBe('(1/4503599627370496)');
    for (const x of [0.3, 0.95, 1e-8, 2.5e-7, 1e30, Number.EPSILON, 0.30000000000000004, 1 / 3, Math.PI]) expect(evaluate(espruinoExactForm(x)!), String(x)).toBe(x);
  });

  it('takes two divisions where one is not enough, when they land exactly (1e-30 needs 10³⁰)', () => {
    expect(espruinoExactForm(1e-30)).toBe('(1/100000000/1e22)');
    expect(evaluate(espruinoExactForm(1e-30)!)).toBe(1e-30);
  });

  it('has none where even two steps miss and the value is no small multiple of a power of two', () => {
    expect(espruinoExactForm(1e-40)).toBeNull();
    expect(espruinoExactForm(Number.MAX_VALUE)).toBeNull();
    expect(espruinoExactForm(Number.MIN_VALUE)).toBeNull();
    expect(espruinoExactForm(-1)).toBeNull();
    expect(espruinoExactForm(NaN)).toBeNull();
  });

  it('finds one for every decimal of up to 15 digits with at most 22 decimals, and each evaluates to its value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999_999_999 }), fc.integer({ min: 0, max: 22 }), (n, k) => {
        const x = Number(`${n}e-${k}`);
        const form = espruinoExactForm(x);
        expect(form).not.toBeNull();
        expect(evaluate(form!)).toBe(x);
      }),
      { numRuns: 3000 },
    );
  });

  it('is exact whenever it answers, for any positive double', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }), (x) => {
        const form = espruinoExactForm(x);
        if (form !== null) expect(evaluate(form)).toBe(x);
      }),
      { numRuns: 3000 },
    );
  });
});
