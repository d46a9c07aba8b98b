// Fits the cost model's weights (cost-model.ts DEFAULT_WEIGHTS) to runtime-facts.md's measurements:
// the per-operation table (test/sim/fixtures/cost-table.js, one micro-loop per row) and the hand-loop
// column (test/fixtures/reference/board-hand-loops.js). Run it when new board measurements arrive:
//   npx tsx host/sim/calibrate.ts            prints each figure before and after, and the weights
//
// How: each program is run once per category with that category alone weighing 1 ms, which counts
// how often each row executes it (the model is linear: a row's time is Σ weight × count). The weights
// are then fitted in log space, relative errors squared, with a pull towards the hand-derived priors
// so that a category no row pins down keeps a sensible value.
import { readFileSync } from 'node:fs';
import { CATEGORIES, DEFAULT_WEIGHTS, type Category, type CostWeights } from './cost-model.ts';
import { runPaced } from './paced-run.ts';

/** runtime-facts.md, µs per loop turn (loop included). */
const TABLE: Record<string, number> = {
  'empty loop iteration': 11,
  'if (i > 5) s++': 18,
  'a = a * b + c': 28,
  'read a closure variable': 25,
  'Float32Array read': 31,
  'Float32Array write': 28,
  'Float64Array read': 30,
  'fa[ia[i]]': 44,
  'obj.a read': 33,
  'obj.a write': 24,
  'this.p read': 32,
  'Math.fround(v)': 49,
  'Math.sqrt(v)': 45,
  'Math.pow(a, b)': 54,
  'call f()': 32,
  'call f(a, b, c)': 38,
  'call f(8 args)': 43,
  'method call k.m(v)': 57,
  'v.toPrecision(9)': 355,
  'Number("1.2345678")': 105,
  'String(v) of a float': 390,
  'JSON.stringify of a 3-key object': 380,
  'shortest-float32 formatting': 3570,
  'formatEpoch, 1 feature': 12175,
  'console.log of a 100-character string': 2660,
};

/** runtime-facts.md, the hand-loop column: board ms per epoch of 1,000 samples. */
export const HAND_LOOPS: Record<string, number> = {
  'sgd-b1': 191,
  'sgd-b1-nobias': 162,
  'momentum-b1': 222,
  'adam-b1': 556,
  'sgd-full': 170,
  'adam-full': 170,
  'sgd-mini32': 169,
};

const root = new URL('../../', import.meta.url);
const tableSource = readFileSync(new URL('test/sim/fixtures/cost-table.js', root), 'utf8');
const handSource = readFileSync(new URL('test/fixtures/reference/board-hand-loops.js', root), 'utf8');

/** Every row's figure (µs per turn for the table, ms per epoch for the hand loops) under `weights`. */
async function figures(weights: CostWeights): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [source, prefix] of [
    [tableSource, 'OP '],
    [handSource, 'HAND '],
  ] as const) {
    const r = await runPaced(source, { weights, maxBoardMs: Infinity });
    if (r.failure) throw new Error(`calibration program failed: ${r.failure}`);
    for (const line of r.lines) {
      if (!line.startsWith(prefix)) continue;
      const m = /^(?:OP|HAND) (.+) ([\d.]+)(?: ms\/epoch)?$/.exec(line);
      if (m) out.set(m[1], Number(m[2]));
    }
  }
  return out;
}

function targets(): Map<string, number> {
  return new Map([...Object.entries(TABLE), ...Object.entries(HAND_LOOPS)]);
}

async function main(): Promise<void> {
  const want = targets();
  const rows = [...want.keys()];
  // counts[r][c]: how often row r executes category c (per turn, or per epoch for the hand loops).
  const counts = rows.map(() => new Float64Array(CATEGORIES.length));
  for (let c = 0; c < CATEGORIES.length; c++) {
    const w = Object.fromEntries(CATEGORIES.map((k) => [k, 0])) as CostWeights;
    w[CATEGORIES[c]] = 1000; // 1 ms per operation, so that millis() resolves single operations
    const got = await figures(w);
    rows.forEach((row, r) => {
      const v = got.get(row);
      if (v === undefined) throw new Error(`no figure for ${row}`);
      // ops per turn (table) or thousands of ops per epoch (hand loops: µs weights give ms)
      counts[r][c] = v / 1000;
    });
  }
  const rowWeight = (row: string) => (HAND_LOOPS[row] !== undefined ? 3 : 1);
  const prior = CATEGORIES.map((c) => DEFAULT_WEIGHTS[c]);
  const logw = prior.map((p) => Math.log(Math.max(p, 1e-3)));
  const LAMBDA = 0.03;
  const predict = (w: number[]) => counts.map((cr) => cr.reduce((s, n, c) => s + n * w[c], 0));
  if (process.env.DEBUG_FIT) predict(prior).forEach((p, r) => console.log('check', rows[r], p.toFixed(1)));
  const m = new Float64Array(logw.length);
  const v = new Float64Array(logw.length);
  for (let it = 1; it <= 20000; it++) {
    const w = logw.map(Math.exp);
    const pred = predict(w);
    const grad = new Float64Array(logw.length);
    rows.forEach((row, r) => {
      const e = Math.log(pred[r] / (want.get(row) as number));
      for (let c = 0; c < logw.length; c++) grad[c] += (2 * rowWeight(row) * e * w[c] * counts[r][c]) / pred[r];
    });
    for (let c = 0; c < logw.length; c++) grad[c] += 2 * LAMBDA * (logw[c] - Math.log(Math.max(prior[c], 1e-3)));
    for (let c = 0; c < logw.length; c++) {
      m[c] = 0.9 * m[c] + 0.1 * grad[c];
      v[c] = 0.999 * v[c] + 0.001 * grad[c] * grad[c];
      logw[c] -= (0.01 * (m[c] / (1 - 0.9 ** it))) / (Math.sqrt(v[c] / (1 - 0.999 ** it)) + 1e-9);
    }
  }
  const fitted = Object.fromEntries(CATEGORIES.map((c, i) => [c, Number(Math.exp(logw[i]).toPrecision(3))])) as CostWeights;
  const before = await figures(DEFAULT_WEIGHTS);
  const after = await figures(fitted);
  console.log('row'.padEnd(42), 'board'.padStart(8), 'now'.padStart(8), 'fitted'.padStart(8));
  for (const row of rows) {
    const t = want.get(row) as number;
    const pct = (x: number) => `${x.toFixed(0)} (${(((x - t) / t) * 100).toFixed(0)}%)`;
    console.log(row.padEnd(42), String(t).padStart(8), pct(before.get(row) as number).padStart(14), pct(after.get(row) as number).padStart(14));
  }
  console.log('\nexport const DEFAULT_WEIGHTS: CostWeights = {');
  for (const c of CATEGORIES) console.log(`  ${c}: ${fitted[c as Category]},`);
  console.log('};');
}

await main();
