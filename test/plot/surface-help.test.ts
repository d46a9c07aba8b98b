// `host surface --help` names the folders the command really uses.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { comparisonPaths } from '../../host/compare-common.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');

describe('host surface --help', () => {
  it('gives the default runs folder and figure that the command uses', async () => {
    const { stdout } = await run(process.execPath, ['host/bin.js', 'surface', '--help'], { cwd: ROOT });
    const help = stdout.replace(/\s+/g, ' ');
    expect(help).toContain('(default: runs/surface-<fn>-<time>/)');
    expect(help).toContain('(default: surface.svg in the runs folder)');
    // What the command does (surface.ts passes `surface-${fn}`).
    const { dir, figure } = comparisonPaths('surface-rosenbrock', ['sgd'], {}, new Date('2026-01-31T10:58:02Z'));
    expect(dir).toBe('runs/surface-rosenbrock-2026-01-31T10-58-02');
    expect(figure).toBe(join(dir, 'surface.svg'));
  });
});
