// Side-by-side timing: every contender of a comparison is calibrated once, then the repetitions are
// interleaved (A B C, B C A, C A B, …) so that a slow phase of the machine (another process, a GC,
// thermal drift) is shared by all of them instead of landing on one. Each contender's figure is the
// median of its repetitions, and ratios are taken between medians.

export interface Contender {
  name: string;
  /** Runs the job for `units` units of work (epochs) and returns the work done (sample-updates). */
  run(units: number): number;
}

export interface Measured {
  name: string;
  /** Units per repetition, found by calibration. */
  units: number;
  /** Work per second of each repetition, in run order. */
  rates: number[];
  median: number;
  min: number;
  max: number;
}

export interface MeasureOptions {
  /** Each repetition should last at least this long. */
  targetMs: number;
  reps: number;
  /** Upper bound on the units of one repetition (keeps a miscalibration from running away). */
  maxUnits?: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * 'cpu': this process's user + system CPU time, which another process on a shared machine does not
 * inflate (the default); 'wall': elapsed time.
 */
export type Clock = 'cpu' | 'wall';

let clock: Clock = 'cpu';

export function setClock(c: Clock): void {
  clock = c;
}

export function now(): number {
  if (clock === 'wall') return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function timed(c: Contender, units: number): { ms: number; work: number } {
  const t0 = now();
  const work = c.run(units);
  // A CPU clock ticks in microseconds: never divide by zero.
  return { ms: Math.max(now() - t0, 0.001), work };
}

/** A unit count whose run lasts about targetMs (calibrating also warms the JIT up). */
export function calibrate(c: Contender, targetMs: number, maxUnits = 1 << 30): number {
  let units = 1;
  for (;;) {
    const { ms } = timed(c, units);
    if (ms >= targetMs || units >= maxUnits) return units;
    if (ms >= 5) {
      // Long enough to extrapolate from. The first runs may still be unoptimized code (V8 tiers
      // up while they run), so re-time at the new size until the estimate holds within 2×.
      units = Math.min(maxUnits, Math.ceil((units * targetMs) / ms));
      for (let tries = 0; tries < 5; tries++) {
        const t = timed(c, units).ms;
        if ((t >= targetMs / 2 && t <= targetMs * 2) || units >= maxUnits) break;
        units = Math.max(1, Math.min(maxUnits, Math.ceil((units * targetMs) / t)));
      }
      return units;
    }
    units = Math.min(maxUnits, units * 4);
  }
}

/** Calibrates each contender, then runs `reps` interleaved rounds; returns one Measured per contender. */
export function compare(contenders: Contender[], opts: MeasureOptions): Measured[] {
  const units = contenders.map((c) => calibrate(c, opts.targetMs, opts.maxUnits));
  const rates: number[][] = contenders.map(() => []);
  for (let r = 0; r < opts.reps; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + r) % contenders.length;
      const { ms, work } = timed(contenders[i], units[i]);
      rates[i].push(work / (ms / 1000));
    }
  }
  return contenders.map((c, i) => ({
    name: c.name,
    units: units[i],
    rates: rates[i],
    median: median(rates[i]),
    min: Math.min(...rates[i]),
    max: Math.max(...rates[i]),
  }));
}
