import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatF32, formatEpoch, parseRecord } from '../../shared/protocol.ts';

describe('formatF32: the shortest decimal for a float32', () => {
  it('reads back to the same float32, no shorter decimal does, and a remembered answer is the same', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.array(fc.float({ noNaN: true }), { maxLength: 10 }), (v, others) => {
        const s = formatF32(v);
        expect(Math.fround(Number(s))).toBe(Math.fround(v) === 0 ? 0 : Math.fround(v));
        // Significant digits: no sign, exponent, point, or leading and trailing zeros (67051470 has 7).
        const digits = s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
        if (digits > 1) expect(Math.fround(Number(Math.fround(v).toPrecision(digits - 1)))).not.toBe(Math.fround(v));
        // Text records remember recent answers: churn that memory, then ask through a record.
        for (const o of others) formatEpoch(0, [o], 1, 0, 0, NaN, 0);
        expect(formatEpoch(0, [v], 1, 0, 0, NaN, 0)).toContain('"w":[' + s + ']');
      }),
      { numRuns: 20000 },
    );
  });

  it('prints the seeds’ numbers readably and non-finite values as null', () => {
    expect(formatF32(1.0933333635330200)).toBe('1.0933334');
    expect(formatF32(0.01)).toBe('0.01');
    expect(formatF32(-0)).toBe('0');
    expect(formatF32(NaN)).toBe('null');
    expect(formatF32(Infinity)).toBe('null');
    const line = formatEpoch(3, new Float32Array([1.5, -2]), 2, 0.25, 0.125, NaN, 0.01);
    expect(line).toBe('{"type":"epoch","epoch":3,"w":[1.5,-2],"b":0.25,"loss":0.125,"lr":0.01}');
    expect(parseRecord('\x1b[2K\r' + line + '\r')).toEqual(JSON.parse(line));
  });
});
