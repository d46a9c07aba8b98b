// Board stack lines back to TypeScript. Kaluma prints an uncaught error as a red message and
// lines `  at <anonymous>:LINE` (line only, no column) of the flashed bundle; Espruino names
// `line LINE col COL` (its bundle is minified onto a line or two, so the column matters). The
// source map kept on the host by the build turns either into `firmware/xyz.ts:LINE`.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { LEAST_UPPER_BOUND, TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { DEFAULT_OUT, REPO_ROOT } from './firmware.ts';

export interface SourcePosition {
  /** Repository-relative path of the TypeScript source, e.g. `firmware/main.ts`. */
  source: string;
  line: number;
  name: string | null;
}

export class BundleTracer {
  private readonly map: TraceMap;

  /** `mapDir`: where the map file lives (its `sources` are relative to it). */
  constructor(
    map: string | object,
    private readonly mapDir: string = dirname(DEFAULT_OUT),
    private readonly root: string = REPO_ROOT,
  ) {
    this.map = new TraceMap(map as ConstructorParameters<typeof TraceMap>[0]);
  }

  /** Loads dist/firmware.js.map (or `mapFile`); null when there is none. */
  static load(mapFile = DEFAULT_OUT + '.map', root = REPO_ROOT): BundleTracer | null {
    try {
      return new BundleTracer(readFileSync(mapFile, 'utf8'), dirname(mapFile), root);
    } catch {
      return null;
    }
  }

  /** Where bundle line `line` (1-based) came from: the first mapped position on that line, or at `column` (0-based). */
  position(line: number, column = 0): SourcePosition | null {
    if (!(line >= 1)) return null;
    const pos = originalPositionFor(this.map, { line, column, bias: LEAST_UPPER_BOUND });
    if (pos.source === null || pos.line === null) return null;
    const abs = resolve(this.mapDir, pos.source);
    const rel = relative(this.root, abs).split('\\').join('/');
    return { source: rel.startsWith('..') ? pos.source : rel, line: pos.line, name: pos.name };
  }

  /** Rewrites `at <anonymous>:LINE` (Kaluma) and `line LINE col COL` (Espruino, 1-based column) in one board line; other text is returned unchanged. */
  traceLine(text: string): string {
    return text
      .replace(/at <anonymous>:(\d+)/g, (whole, n: string) => {
        const p = this.position(Number(n));
        return p ? `at ${p.source}:${p.line}` : whole;
      })
      .replace(/\bline (\d+) col (\d+)/g, (whole, n: string, c: string) => {
        const p = this.position(Number(n), Math.max(0, Number(c) - 1));
        return p ? `${p.source}:${p.line}` : whole;
      });
  }
}

/** Traces lines with dist/firmware.js.map if it exists, else returns them as they are. */
export function traceBoardLines(lines: string[], tracer: BundleTracer | null = BundleTracer.load()): string[] {
  return tracer ? lines.map((l) => tracer.traceLine(l)) : lines.slice();
}
