import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, buildFirmware } from '../../host/build/firmware.ts';
import { BundleTracer, traceBoardLines } from '../../host/build/trace.ts';

const FIX = resolve(import.meta.dirname, '../fixtures/link');
const tmp = mkdtempSync(join(tmpdir(), 'pt-trace-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('BundleTracer', () => {
  it('maps a board stack line to the TypeScript file and line', async () => {
    const outfile = join(tmp, 'throws.js');
    const res = await buildFirmware({ entry: join(FIX, 'throws.ts'), outfile });
    const lines = res.code.split('\n');
    // The lines a board would name: where `throw` is, and where explode() is called (under the
    // name the minifier gave it: the line after the one that logs "starting").
    const throwLine = lines.findIndex((l) => l.includes('throw new Error("boom')) + 1;
    const callLine = lines.findIndex((l) => l.includes('console.log("starting")')) + 2;
    expect(lines[callLine - 1]).toMatch(/^\s*\w+\(\);$/);
    expect(throwLine).toBeGreaterThan(0);
    expect(callLine).toBeGreaterThan(0);

    const tracer = BundleTracer.load(res.mapfile, REPO_ROOT);
    expect(tracer).not.toBeNull();
    const traced = traceBoardLines(['Error: boom from the fixture', `  at <anonymous>:${throwLine}`, `  at <anonymous>:${callLine}`], tracer);
    expect(traced).toEqual(['Error: boom from the fixture', '  at test/fixtures/link/ok-lib.ts:7', '  at test/fixtures/link/throws.ts:5']);
  });

  it('leaves lines it cannot map as they are', async () => {
    const res = await buildFirmware({ entry: join(FIX, 'throws.ts'), outfile: join(tmp, 't2.js') });
    const tracer = new BundleTracer(res.map, tmp, REPO_ROOT);
    expect(tracer.traceLine('  at <anonymous>:9999')).toBe('  at <anonymous>:9999');
    expect(tracer.traceLine('no stack here')).toBe('no stack here');
    expect(traceBoardLines(['  at <anonymous>:3'], null)).toEqual(['  at <anonymous>:3']);
  });

  it('is null when there is no map file', () => {
    expect(BundleTracer.load(join(tmp, 'nope.js.map'))).toBeNull();
  });
});
