// The firmware's two runtime modules (firmware/kaluma.ts, firmware/espruino.ts) answer main.ts with
// the same names and shapes, and the exact form of numbers that Espruino gets reads back bit for bit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as espruino from '../../firmware/espruino.ts';
import { EXACT_PREFIX, chainCrc, crc32, toExactNumbers as exactNumbers } from '../../shared/wire.ts';
import { f32Rounding, roundThroughArray } from '../../shared/f32.ts';

// kaluma.ts reads Kaluma's millis() as it loads.
(globalThis as { millis?: () => number }).millis = () => 0;
const kaluma = await import('../../firmware/kaluma.ts');

// Compile-time: the Espruino module fits wherever the Kaluma one is used.
const sameShape: typeof kaluma = espruino;

describe('the runtime modules', () => {
  it('export the same names', () => {
    expect(Object.keys(sameShape).sort()).toEqual(Object.keys(kaluma).sort());
  });

  it("give Espruino every number bit for bit, through JSON, where Espruino's own parser would not", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 4 }), (lr, initW) => {
        const sent = JSON.parse(JSON.stringify(exactNumbers({ op: 'config', config: { lr, initW, optimizer: 'adam', epochs: 100 } })));
        const got = espruino.exactNumbers(sent) as { config: { lr: number; initW: number[]; optimizer: string; epochs: number } };
        // JSON has no -0: a zero arrives as 0 either way.
        expect(got.config.lr).toBe(lr === 0 ? 0 : lr);
        expect(got.config.initW).toEqual(initW.map((v) => (v === 0 ? 0 : v)));
        expect(got.config.optimizer).toBe('adam');
        expect(got.config.epochs).toBe(100);
      }),
      { numRuns: 2000 },
    );
    // The cases the facts name: Espruino reads 0.3 and 1e-8 a bit off from their decimals.
    expect(exactNumbers(0.3)).toBe(EXACT_PREFIX + '3fd3333333333333');
    expect(espruino.exactNumbers(exactNumbers(1e-8))).toBe(1e-8);
    expect(exactNumbers(42)).toBe(42);
  });
});

describe("Espruino's checksums", () => {
  it('chain a chunk CRC bit by bit as the engine chains it with its tables', () => {
    const u32 = fc.integer({ min: 0, max: 4294967295 });
    fc.assert(
      fc.property(u32, u32, (chain, crc) => {
        expect(espruino.chainCrc(chain, crc)).toBe(chainCrc(chain, crc));
        expect(kaluma.chainCrc(chain, crc)).toBe(chainCrc(chain, crc));
      }),
      { numRuns: 5000 },
    );
  });

  it("take a chunk's CRC from E.CRC32 over its bytes (the standard CRC-32)", () => {
    (globalThis as { E?: unknown }).E = { CRC32: (b: Uint8Array) => crc32(b, b.length) };
    try {
      const words = new Uint32Array([0xdeadbeef, 1, 2, 0x80000000]);
      expect(espruino.chunkCrc(words, 3)).toBe(kaluma.chunkCrc(words, 3));
    } finally {
      delete (globalThis as { E?: unknown }).E;
    }
  });
});

describe('float32 rounding', () => {
  it('through a Float32Array equals Math.fround (what Espruino uses where it has no Math.fround)', () => {
    const viaArray = roundThroughArray();
    fc.assert(
      fc.property(fc.double(), (x) => {
        expect(Object.is(viaArray(x), Math.fround(x))).toBe(true);
      }),
      { numRuns: 20000 },
    );
    // Ties go to even both ways: 1 + 2⁻²⁴ is halfway between two float32s.
    expect(viaArray(1 + 2 ** -24)).toBe(1);
    expect(viaArray(1 + 3 * 2 ** -24)).toBe(Math.fround(1 + 3 * 2 ** -24));
  });

  it('is Math.fround where the runtime has one, and the array path where it has not', () => {
    expect(f32Rounding()).toBe(Math.fround);
    const fround = Math.fround;
    try {
      (Math as { fround?: unknown }).fround = undefined;
      expect(f32Rounding()).toBe(roundThroughArray());
    } finally {
      Math.fround = fround;
    }
  });
});
