// Reads a V8 .cpuprofile (from `node --cpu-prof`) and sums self time per function, so a profile can
// be read in a terminal: `node --import tsx host/bench/cpuprofile.ts FILE.cpuprofile [top]`.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../build/firmware.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  positionTicks?: { line: number; ticks: number }[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  fn: string;
  where: string;
  ms: number;
  share: number;
  /** Hottest source lines of the function (1-based), with their share of its ticks. */
  lines: { line: number; share: number }[];
}

export function summarize(profile: Profile): HotSpot[] {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const ms = new Map<string, number>();
  const ticks = new Map<string, Map<number, number>>();
  const where = new Map<string, string>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!node) continue;
    const cf = node.callFrame;
    const url = cf.url.startsWith('file:') ? relative(REPO_ROOT, fileURLToPath(cf.url)) : cf.url;
    const key = `${cf.functionName || '(anonymous)'}@${url}:${cf.lineNumber + 1}`;
    where.set(key, `${url}:${cf.lineNumber + 1}`);
    ms.set(key, (ms.get(key) ?? 0) + dt);
    total += dt;
  }
  for (const n of profile.nodes) {
    const cf = n.callFrame;
    const url = cf.url.startsWith('file:') ? relative(REPO_ROOT, fileURLToPath(cf.url)) : cf.url;
    const key = `${cf.functionName || '(anonymous)'}@${url}:${cf.lineNumber + 1}`;
    if (!n.positionTicks) continue;
    const m = ticks.get(key) ?? new Map<number, number>();
    for (const p of n.positionTicks) m.set(p.line, (m.get(p.line) ?? 0) + p.ticks);
    ticks.set(key, m);
  }
  const spots: HotSpot[] = [];
  for (const [key, t] of ms) {
    const lt = ticks.get(key);
    let lines: HotSpot['lines'] = [];
    if (lt) {
      const sum = [...lt.values()].reduce((a, b) => a + b, 0);
      lines = [...lt.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([line, n]) => ({ line, share: n / sum }));
    }
    spots.push({ fn: key.slice(0, key.indexOf('@')), where: where.get(key) ?? '', ms: t, share: total > 0 ? t / total : 0, lines });
  }
  return spots.sort((a, b) => b.ms - a.ms);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  const top = Number(process.argv[3] ?? 15);
  if (!file) {
    process.stderr.write('usage: cpuprofile.ts FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  const spots = summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  for (const s of spots.slice(0, top)) {
    const lines = s.lines.map((l) => `${l.line}:${(l.share * 100).toFixed(0)}%`).join(' ');
    process.stdout.write(`${(s.share * 100).toFixed(1).padStart(5)}%  ${s.ms.toFixed(0).padStart(6)} ms  ${s.fn.padEnd(22)} ${s.where}  ${lines}\n`);
  }
}
