// The wire's two shapes of one formula: the host's CRC-32 over bytes and chain over four explicit
// bytes, and the board's forms over little-endian words (slicing by 4), which must give the very
// same numbers. Also the upload plan: its value stream, chunks and checksum, as the board stores them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dataset } from '../../shared/dataset.ts';
import { chainCrc, chainCrcWord, crc32, crc32Words, datasetCrc, uploadPlan, wireValues } from '../../shared/wire.ts';

describe('CRC-32: the board form equals the host form', () => {
  it('crc32Words over words is crc32 over their bytes, continued from any start', () => {
    fc.assert(
      fc.property(fc.uint32Array({ maxLength: 200 }), fc.integer({ min: 0, max: 0xffffffff }), (words, start) => {
        const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
        expect(crc32Words(words, words.length, start)).toBe(crc32(bytes, bytes.length, start));
      }),
      { numRuns: 500 },
    );
  });

  it('chainCrcWord is chainCrc', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (chain, c) => {
        expect(chainCrcWord(chain, c)).toBe(chainCrc(chain, c));
      }),
      { numRuns: 500 },
    );
  });

  it('is the standard CRC-32 (zlib): "123456789" → cbf43926', () => {
    const b = new TextEncoder().encode('123456789');
    expect(crc32(b, b.length).toString(16)).toBe('cbf43926');
  });
});

describe('the upload plan', () => {
  it('fills a board dataset exactly, chunk by chunk, and ends with the chain of the chunks’ checksums', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 300 }), (f, n) => {
        const packed = Float32Array.from({ length: n * (f + 1) }, (_, i) => Math.fround(i / 7 - 3));
        const ds = new Dataset(1024, 8);
        let chain = 0;
        let end = -1;
        for (const step of uploadPlan(packed, f)) {
          if (step.kind === 'command') {
            if (step.cmd.op === 'begin') ds.begin(step.cmd.samples, step.cmd.features);
            if (step.cmd.op === 'end') end = step.cmd.crc;
            continue;
          }
          expect(ds.write(step.values)).toBe(step.count);
          chain = chainCrc(chain, step.crc);
        }
        expect(ds.complete).toBe(true);
        expect(end).toBe(chain);
        expect(datasetCrc(packed, f)).toBe(chain);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < f; j++) expect(ds.x[i * f + j]).toBe(packed[i * (f + 1) + j]);
          expect(ds.y[i]).toBe(packed[i * (f + 1) + f]);
        }
        expect(wireValues(packed, f).length).toBe(packed.length);
      }),
      { numRuns: 200 },
    );
  });
});
