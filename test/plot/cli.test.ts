import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { plotFiles } from '../../host/plot/plot-files.ts';
import { renderSvg } from '../../host/plot/files.ts';
import { trainLines, walkLines } from './records.ts';
import { elements, legendLabels } from './svg-inspect.ts';
import { tempDir } from '../helpers/temp.ts';

const run = promisify(execFile);
const dir = tempDir('plot-');
function file(name: string, lines: string[]): string {
  const p = join(dir, name);
  // A run file as the monitor writes it, with a stray non-record line that must be skipped.
  writeFileSync(p, ['Kaluma banner', ...lines].join('\n') + '\n');
  return p;
}

describe('host plot', () => {
  it('overlays several run files and writes SVG', async () => {
    const a = file('sgd.ndjson', trainLines({ optimizer: 'sgd', lr: 0.02, epochs: 30, valSplit: 0.2 }));
    const b = file('adam.ndjson', trainLines({ optimizer: 'adam', lr: 0.05, epochs: 30, valSplit: 0.2 }));
    const out = join(dir, 'overlay.svg');
    expect(await plotFiles([a, b], { out })).toBe('overlay');
    const svg = readFileSync(out, 'utf8');
    expect(elements(svg, 'series')).toHaveLength(4);
    expect(legendLabels(svg)).toEqual(['sgd', 'adam', 'train', 'validation']);
  });

  it('writes a PNG at twice the SVG size by default', async () => {
    const w = file('bowl.ndjson', walkLines({ fn: 'bowl' }));
    const out = join(dir, 'bowl.png');
    expect(await plotFiles([w], { out, width: 400, height: 300 })).toBe('path');
    const png = readFileSync(out);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([800, 600]);
  });

  it('renders text with the packaged font, not the system ones', () => {
    const blank = renderSvg('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"><rect width="200" height="60" fill="#fff"/></svg>');
    const text = renderSvg('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"><rect width="200" height="60" fill="#fff"/><text x="10" y="40" font-size="30" font-family="DejaVu Sans">epoch</text></svg>');
    const dark = (px: Buffer) => {
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] < 128) n++;
      return n;
    };
    expect(dark(blank.pixels)).toBe(0);
    expect(dark(text.pixels)).toBeGreaterThan(200);
  });

  it('refuses a missing file, a file without records and an unknown extension with a clear message', async () => {
    await expect(plotFiles([join(dir, 'nope.ndjson')], { out: join(dir, 'x.svg') })).rejects.toThrow(/nope.ndjson: no such run file/);
    const empty = file('empty.ndjson', []);
    await expect(plotFiles([empty], { out: join(dir, 'x.svg') })).rejects.toThrow(/no epoch or step records/);
    await expect(plotFiles([empty], { out: join(dir, 'x.pdf') })).rejects.toThrow(/\.svg or \.png/);
  });

  it('runs as `host plot` from the command line', async () => {
    const q = file('quad.ndjson', walkLines({ fn: 'quadratic' }));
    const out = join(dir, 'quad.svg');
    const { stderr } = await run(process.execPath, ['host/bin.js', 'plot', q, '--out', out, '--title', 'Seeds']);
    expect(stderr).toContain('(curve figure)');
    expect(readFileSync(out, 'utf8')).toContain('>Seeds</text>');
    const bad = await run(process.execPath, ['host/bin.js', 'plot', join(dir, 'missing.ndjson'), '--out', out]).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('missing.ndjson: no such run file');
  });
});
