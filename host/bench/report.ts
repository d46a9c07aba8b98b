// The bench's human-readable output: plain aligned tables, one section per figure.
import type { BenchResult, Rate } from './run.ts';
import { formatBoardSpeed } from './report-board-speed.ts';
import { alignColumns } from '../text-table.ts';

export const TARGET_VS_TFJS = 200;
export const TARGET_VS_HAND = 0.8;

function table(head: string[], rows: string[][], right: boolean[] = []): string {
  return alignColumns([head, ...rows], right, true).join('\n');
}

/** A rate with a unit that keeps three significant digits: 12.3 M/s, 456 k/s. */
export function perSecond(v: number): string {
  const units: [number, string][] = [
    [1e9, 'G/s'],
    [1e6, 'M/s'],
    [1e3, 'k/s'],
  ];
  for (const [scale, unit] of units) if (v >= scale) return `${sig(v / scale)} ${unit}`;
  return `${sig(v)} /s`;
}

function sig(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function ratio(v: number): string {
  return v >= 100 ? `${v.toFixed(0)}×` : v >= 10 ? `${v.toFixed(1)}×` : `${v.toFixed(2)}×`;
}

function spread(r: Rate): string {
  return `${perSecond(r.median)}`;
}

function mark(v: number | null, target: number): string {
  if (v === null) return '';
  return v >= target ? ' ✓' : ' ✗';
}

/** Float32 training from one start ends within ~1e-6 of itself; far more means a different job. */
export const AGREEMENT_TOLERANCE = 1e-4;

function sameResult(d: number): string {
  return d <= AGREEMENT_TOLERANCE ? `Δ ≤ ${d.toExponential(0)}` : `Δ = ${d.toExponential(1)} ✗ not the same job`;
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}

function bytes(n: number): string {
  return n >= 1024 ? `${n.toLocaleString('en-US')} B (${(n / 1024).toFixed(1)} KB)` : `${n} B`;
}

export function formatReport(r: BenchResult): string {
  const out: string[] = [];
  out.push(`pico-trainer bench — ${r.date}${r.commit ? `, commit ${r.commit}` : ''}`);
  out.push(`node ${r.node}, ${r.cpu}, ${r.cores} cores; ${r.clock === 'cpu' ? 'CPU time of this process' : 'wall-clock time'}; medians of interleaved repetitions${r.quick ? ' (--quick: few, short repetitions)' : ''}`);
  out.push('');
  // Older JSON results (before --only) have no `sections`: they measured everything but board speed.
  const has = (section: BenchResult['sections'][number]): boolean => (r.sections ?? ['throughput', 'memory', 'virtual-pico', 'scaling']).includes(section);

  if (has('throughput')) {
    out.push('Training throughput, sample-updates per second (linear regression, float32 data, w = 1, b = 0 at the start,');
    out.push('the training loss computed after every epoch by all three)');
    out.push(
      table(
        ['job', 'data', 'engine', 'hand loop', 'TF.js (cpu)', 'engine/TF.js', 'engine/hand', 'hand/TF.js', 'same result'],
        r.throughput.map((t) => [
          t.job,
          `${t.samples.toLocaleString('en-US')} × ${t.features}`,
          spread(t.engine),
          spread(t.hand),
          t.tfjs ? spread(t.tfjs) : 'skipped',
          t.engineVsTfjs === null ? '' : ratio(t.engineVsTfjs) + mark(t.engineVsTfjs, TARGET_VS_TFJS),
          ratio(t.engineVsHand) + mark(t.engineVsHand, TARGET_VS_HAND),
          t.tfjs ? ratio(t.hand.median / t.tfjs.median) : '',
          sameResult(Math.max(t.agreement.hand, t.agreement.tfjs ?? 0)),
        ]),
        [false, true, true, true, true, true, true, true, false],
      ),
    );
    if (r.tfjsNote) out.push(`TF.js: ${r.tfjsNote}`);
    out.push(`targets: engine ≥ ${TARGET_VS_TFJS}× TF.js, ≥ ${TARGET_VS_HAND}× the hand-written loop (✓ met, ✗ missed).`);
    out.push('engine: shared/trainer.ts Trainer.run(), one formatted epoch record per epoch into a sink; hand loop: host/bench/baseline.ts,');
    out.push('straight loops, no records; TF.js: tf.variable w and b, tf.train.sgd, optimizer.minimize on tf.losses.meanSquaredError.');
    out.push(`"same result": largest difference of w and b between the engine and the others after 20 epochs.`);
    out.push('');
  }

  out.push('Firmware bundle');
  out.push(`  ${bytes(r.firmware.bytes)}, ${r.firmware.lines.toLocaleString('en-US')} lines; ${((100 * r.firmware.bytes) / r.firmware.limit).toFixed(0)}% of the ${r.firmware.limit / 1024} KB limit`);
  out.push('');

  if (has('memory')) {
    out.push('Static memory of the engine: bytes of the typed arrays it allocates (1,024 samples, 2 features, Adam)');
    for (const m of r.memory) {
      out.push(`  ${m.label}: ${bytes(m.total)}`);
      out.push(`    dataset ${m.byOwner.dataset.toLocaleString('en-US')} B, trainer ${m.byOwner.trainer.toLocaleString('en-US')} B, optimizer ${m.byOwner.optimizer.toLocaleString('en-US')} B`);
      out.push(
        indent(
          table(
            ['array', 'type', 'length', 'bytes'],
            m.items.map((i) => [i.path, i.type, i.length.toLocaleString('en-US'), i.bytes.toLocaleString('en-US')]),
            [false, false, true, true],
          ),
          4,
        ),
      );
  }
  out.push('');
  }

  if (has('virtual-pico')) {
    out.push('Virtual Pico (host/sim: QuickJS behind a pseudo-terminal, not RP2040 speed)');
    if (!r.board.available) {
      out.push(`  virtual Pico: not available — ${r.board.reason}`);
    } else {
      const b = r.board;
      out.push(`  flash (YMODEM, to hello): ${(b.flashMs / 1000).toFixed(2)} s`);
      out.push(`  upload ${b.uploadSamples.toLocaleString('en-US')} samples × 1: ${b.uploadMs.toFixed(0)} ms (${perSecond(b.uploadSamplesPerSecond).replace('/s', ' samples/s')})`);
      out.push(
        indent(
        table(
          ['training job (end to end)', 'epochs', 'records', 'time', 'records/s', 'sample-updates/s'],
          b.train.map((t) => [
            `${t.batch === 1 ? 'per-sample SGD' : 'full-batch GD'}, ${t.samples.toLocaleString('en-US')} × 1`,
            String(t.epochs),
            String(t.records),
            `${(t.ms / 1000).toFixed(2)} s`,
            sig(t.recordsPerSecond),
            perSecond(t.sampleUpdatesPerSecond),
          ]),
          [false, true, true, true, true, true],
        ),
        2,
        ),
      );
  }
  out.push('');
  }

  if (has('scaling')) {
    out.push('Throughput by dataset size (1 feature), engine vs hand-written loop');
    out.push(
      table(
        ['job', 'samples', 'engine', 'hand loop', 'engine/hand'],
        r.scaling.map((s) => [s.job, s.samples.toLocaleString('en-US'), spread(s.engine), spread(s.hand), ratio(s.engineVsHand)]),
        [false, true, true, true, true],
      ),
    );
    out.push('');
  }

  if (has('parallel') && r.parallel) {
    out.push('Parallel SGD: the simulated cluster (4 workers, Picos on USB, per-sample steps; sync in batches of 16),');
    out.push('4,000 × 8 dense samples; events handled and simulated sample-updates per second of this machine');
    out.push(
      table(
        ['algorithm', 'events/s', 'sample-updates/s', 'updates per run'],
        r.parallel.cluster.map((c) => [c.algorithm, c.eventsPerSecond.toLocaleString('en-US'), c.sampleUpdatesPerSecond.toLocaleString('en-US'), c.updates.toLocaleString('en-US')]),
        [false, true, true, true],
      ),
    );
    out.push('');
    out.push(`Hogwild! on threads (${r.cores} cores here: 2 threads is the most that run at once), per-sample SGD, updates per second`);
    const one = (d: string) => r.parallel?.threads.find((t) => t.data === d && t.threads === 1)?.updatesPerSecond ?? NaN;
    out.push(
      table(
        ['data', 'threads', 'updates/s', 'vs 1 thread', 'lost-update drift max |D|'],
        r.parallel.threads.map((t) => [t.data, String(t.threads), t.updatesPerSecond.toLocaleString('en-US'), ratio(t.updatesPerSecond / one(t.data)), t.drift.toExponential(2)]),
        [false, true, true, true, true],
      ),
    );
    out.push('');
  }

  if (has('boards') && r.boards) {
    out.push('Boards as workers (virtual Picos, EASGD, 160 × 8 dense samples, per-sample SGD; rounds of one epoch, or the worker role pushing every 4 samples)');
    if (typeof r.boards === 'string') out.push(`  ${r.boards}`);
    else
      out.push(
        table(
          ['form', 'pace', 'boards', 'pushes/s', 'sample-updates/s', 'seconds'],
          r.boards.map((b) => [b.form, b.pace, String(b.boards), b.pushesPerSecond.toFixed(1), Math.round(b.sampleUpdatesPerSecond).toLocaleString('en-US'), b.seconds.toFixed(2)]),
          [false, false, true, true, true, true],
        ),
      );
    out.push('');
  }

  if (has('board-speed') && r.boardSpeed) {
    out.push(...formatBoardSpeed(r.boardSpeed));
    out.push('');
  }
  out.push(`${r.command} took ${r.seconds.toFixed(0)} s`);
  return out.join('\n') + '\n';
}
