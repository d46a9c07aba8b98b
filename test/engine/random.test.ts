// The PRNG's 32-bit multiply: on a runtime without Math.imul (Espruino) the engine multiplies by
// 16-bit halves, and the board must draw the very sequence the desktop draws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { imul32 } from '../../shared/random.ts';

describe('imul32', () => {
  it('equals Math.imul on any 32-bit integers, signed or not', () => {
    const int = fc.oneof(fc.integer({ min: -2147483648, max: 2147483647 }), fc.integer({ min: 0, max: 4294967295 }));
    fc.assert(
      fc.property(int, int, (a, b) => {
        expect(imul32(a, b)).toBe(Math.imul(a, b));
      }),
      { numRuns: 20000 },
    );
    for (const [a, b] of [[0xffffffff, 0xffffffff], [0x6d2b79f5, 61], [-1, 0x85ebca6b], [0x80000000, 2]]) expect(imul32(a, b)).toBe(Math.imul(a, b));
  });
});
