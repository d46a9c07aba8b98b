// The board-speed section of the text report: every figure is a proxy's (Duktape, then the virtual
// Pico's cost model), and says so.
import { BOARD_FACTS, RECORD_TARGET_MS, UPLOAD_TARGET_MS, type BoardEstimate, type BoardSpeedResult } from './board-speed.ts';
import { BATCH_MODES, batchLabel, PATH_OPTIMIZERS } from './hand-loops.ts';
import { alignColumns } from '../text-table.ts';

/** Ratios under this are worth a look (the issue's bar for "about as fast as a hand loop"). */
export const SLOW_RATIO = 0.9;
/** |Δ| of w and b under which firmware and hand loop count as the same job. */
const AGREE = 1e-3;

function table(head: string[], rows: string[][], right: boolean[] = []): string[] {
  return alignColumns([head, ...rows], right, true);
}

function x(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return v >= 10 ? `${v.toFixed(1)}×` : `${v.toFixed(2)}×`;
}

function ms(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

function est(e: BoardEstimate): string {
  const proxy = e.proxyMs < 0.1 ? `${(e.proxyMs * 1000).toPrecision(3)} µs` : `${ms(e.proxyMs)} ms`;
  return `${proxy} in the proxy → ~${ms(e.boardMs)} ms of board time`;
}

function check(value: number, target: number): string {
  return value <= target ? '✓' : '✗';
}

export function formatBoardSpeed(r: BoardSpeedResult): string[] {
  const out: string[] = [];
  out.push('Board speed (interpreter proxy: every figure here is measured in Duktape on this machine, not on a board)');
  if (!r.available) {
    out.push(`  not available — ${r.reason}`);
    return out;
  }
  out.push(`  ${r.duktape}, a desktop bytecode interpreter standing in for Kaluma's JerryScript, with Kaluma's natives native`);
  out.push('  (Math.fround, atob/btoa, millis, console.log, timers). The firmware bundle, lowered to ES5, is driven as the host');
  out.push("  drives a board: upload, config, start, then its setTimeout slices to its done record. ms per epoch: from the stamps");
  out.push('  of its epoch records (training, loss pass, record formatting and printing), against hand-written loops of the same');
  out.push(`  algorithm timed the same way. ratio = hand ms / firmware ms per epoch (≥ 1: the firmware is at least as fast).`);
  out.push(`  ${r.epochs} epochs × ${r.reps} run(s) per path, medians of the epochs. K = ${r.scale.toFixed(0)} board ms per proxy ms (the seven given hand`);
  out.push(`  loops' board times over their proxy times; ${r.scaleRange[0].toFixed(0)}–${r.scaleRange[1].toFixed(0)} loop by loop). "board" estimates below are proxy × K: estimates.`);
  out.push('');

  out.push("  The seven paths runtime-facts.md measured on the board: aff00d7's bundle (before) and today's (after), ms per epoch");
  out.push(
    ...table(
      ['path', 'board hand', 'board aff00d7', 'board ratio', 'proxy hand', 'proxy aff00d7', 'proxy ratio', 'proxy/board', 'proxy today', 'today ratio', 'vs locals'],
      r.table.map((t) => [
        t.label,
        String(t.board.hand),
        t.board.firmware.toLocaleString('en-US'),
        x(t.board.ratio),
        ms(t.handMs),
        ms(t.beforeMs),
        x(t.beforeRatio),
        x(t.beforeRatio / t.board.ratio),
        ms(t.afterMs),
        x(t.afterRatio),
        x(t.afterVsLocals),
      ]),
      [false, true, true, true, true, true, true, true, true, true, true],
    ).map((l) => '  ' + l),
  );
  out.push(
    `  How well the proxy tracks the board on aff00d7: proxy ratio / board ratio, geometric mean ${x(r.tracking.geomean)}, from ${x(r.tracking.min)} to ${x(r.tracking.max)}`,
  );
  const loc = r.table.map((t) => t.handMs / t.localsMs);
  out.push(`  vs locals: today's ratio against the same hand loops with N, x, y copied into locals (a diagnostic: the given loops read`);
  out.push(`  them as top-level vars, which Duktape makes ${Math.min(...loc).toFixed(1)}–${Math.max(...loc).toFixed(1)}× slower; the board's cost for such a read is not measured)`);
  out.push('');

  out.push(`  All ${r.paths.length} paths (optimizer × batch × bias × 1–2 features × standardization × validation split 0.2): the lowest ratio`);
  out.push('  for each optimizer and batch mode, and the path that gives it (proxy ms per epoch: hand / firmware)');
  const modes = BATCH_MODES.filter((b) => r.minima.some((m) => m.batch === b));
  out.push(
    ...table(
      ['optimizer', ...modes.map(batchLabel)],
      PATH_OPTIMIZERS.filter((o) => r.minima.some((m) => m.optimizer === o)).map((o) => [
        o,
        ...modes.map((b) => {
          const m = r.minima.find((q) => q.optimizer === o && q.batch === b);
          return m ? `${x(m.ratio)}${m.ratio < SLOW_RATIO ? ' ✗' : ''} ${m.path} (${ms(m.handMs)} / ${ms(m.firmwareMs)})` : '';
        }),
      ]),
    ).map((l) => '  ' + l),
  );
  const slow = r.paths.filter((p) => !(p.ratio >= SLOW_RATIO));
  out.push(`  paths under ${SLOW_RATIO}×: ${slow.length === 0 ? 'none' : slow.length + ' — ' + slow.map((p) => `${p.name} ${x(p.ratio)}`).join(', ')}`);
  const ratios = r.paths.map((p) => p.ratio).sort((a, b) => a - b);
  if (ratios.length > 0) out.push(`  all paths: ratio from ${x(ratios[0])} to ${x(ratios[ratios.length - 1])}, median ${x(ratios[ratios.length >> 1])}`);
  // Same job: w and b of the last epoch, firmware against hand loop (float32 storage against float64).
  const plain = r.paths.filter((p) => !p.spec.val);
  const close = plain.filter((p) => p.agreement <= AGREE);
  const groups = new Map<string, number>();
  for (const p of plain) if (!(p.agreement <= AGREE)) groups.set(`${p.spec.optimizer} ${batchLabel(p.spec.batch)}`, (groups.get(`${p.spec.optimizer} ${batchLabel(p.spec.batch)}`) ?? 0) + 1);
  out.push(`  same job: w and b within ${AGREE} of the hand loop's after the last epoch on ${close.length} of ${plain.length} paths without a split` + (groups.size ? ';' : '.'));
  if (groups.size) {
    const worst = Math.max(...plain.map((p) => p.agreement));
    out.push(`    the others (${[...groups].map(([k, n]) => `${k}: ${n}`).join(', ')}; up to ${worst.toPrecision(2)}) drift apart between float32 storage`);
    out.push('    (firmware) and float64 (hand loop); with float32 storage the template matches the engine to ~1e-7 (test/bench).');
  }
  const val = r.paths.filter((p) => p.spec.val);
  if (val.length) {
    out.push(`  with a validation split the hand loop holds out every fifth sample, the firmware a seeded-random fifth: |Δ| up to ${Math.max(...val.map((p) => p.agreement)).toPrecision(2)}`);
  }
  out.push('');

  const rec = r.record;
  // Printing is the board's own measured cost (the proxy's console.log is a buffered write that K
  // cannot scale): a 100-character line takes 2.66 ms; by length or per line, the two ends of a range.
  const print100 = BOARD_FACTS.consoleLog100Us / 1000;
  const printLo = Math.min(print100, print100 * (rec.bits.chars / 100));
  const lo = rec.bits.boardMs + printLo;
  const hi = rec.bits.boardMs + print100;
  const verdict = hi <= RECORD_TARGET_MS ? `✓ within the ${RECORD_TARGET_MS} ms target` : lo > RECORD_TARGET_MS ? `✗ over the ${RECORD_TARGET_MS} ms target` : `at the ${RECORD_TARGET_MS} ms target (✗ at its upper end)`;
  out.push('  One epoch record (1 feature), formatted and printed, in board time (estimates)');
  out.push(`    today (float32 bits, native btoa, ${rec.bits.chars} characters): formatting ${est(rec.bits)};`);
  out.push(`      printing, from the board's own figure (console.log of a 100-character line: ${print100.toFixed(2)} ms, runtime-facts.md; the proxy's`);
  out.push(`      console.log is a buffered write K cannot scale): ${ms(printLo)}–${ms(print100)} ms (by length, or per line); together ~${ms(lo)}–${ms(hi)} ms: ${verdict}`);
  out.push(`    old, shortest decimals (formatEpoch, ${rec.decimal.chars} characters): formatting ${est(rec.decimal)}; the board measured`);
  out.push(`      ${(BOARD_FACTS.oldRecordUs / 1000).toFixed(1)} ms for aff00d7's: the proxy over-charges number formatting ${(rec.decimal.boardMs / (BOARD_FACTS.oldRecordUs / 1000)).toFixed(1)}× (see the operation costs below)`);
  out.push(
    `  The seed job (3 samples, no bias, full batch, 100 epochs), per epoch: sgd aff00d7 ${est(r.seed.sgd.before)} (board: ${ms(BOARD_FACTS.oldSeedSgdMs)} ms),`,
  );
  out.push(`    today ${est(r.seed.sgd.after)}; adam aff00d7 ${est(r.seed.adam.before)} (board: ${ms(BOARD_FACTS.oldSeedAdamMs)} ms),`);
  out.push(`    today ${est(r.seed.adam.after)} (printing the record not included: see above)`);
  const u = r.upload;
  out.push(`  Upload of 1,000 samples × 2 features, today: ${est(u.after1000x2)} ${check(u.after1000x2.boardMs, UPLOAD_TARGET_MS)} target ≤ ${UPLOAD_TARGET_MS / 1000} s`);
  out.push(`    1,000 × 1: today ${est(u.after1000x1)}; aff00d7 ${est(u.before1000x1)} (board: ${(BOARD_FACTS.oldUpload1000x1Ms / 1000).toFixed(1)} s, USB and the host's pace included)`);
  out.push('    (REPL lines evaluated back to back: parsing, decoding, checking and storing; no USB transfer, no waiting for the host)');
  out.push('');

  out.push(...formatModel(r));
  out.push('');

  out.push('  What single operations cost (loop included): the proxy in ns against the board in µs (runtime-facts.md). Where the');
  out.push('  ratio is far from K, the proxy weighs that operation differently from the board.');
  out.push(
    ...table(
      ['operation', 'proxy ns', 'board µs', 'board/proxy'],
      r.ops.map((o) => [o.op, o.proxyNs.toFixed(1), o.boardUs === null ? 'not measured' : String(o.boardUs), o.boardUs === null ? '' : ((o.boardUs * 1000) / o.proxyNs).toFixed(0)]),
      [false, true, true, true],
    ).map((l) => '    ' + l),
  );
  out.push(`  board-speed section took ${r.seconds.toFixed(0)} s`);
  return out;
}

/**
 * The cost model's figures: board ms counted operation by operation with weights calibrated on the
 * board's own measurements (host/sim/cost-model.ts), the closer proxy of the two on the paths the
 * board measured, and exact from run to run.
 */
function formatModel(r: Extract<BoardSpeedResult, { available: true }>): string[] {
  const out: string[] = [];
  const m = r.model;
  out.push("  The same under the virtual Pico's cost model (host/sim/cost-model.ts): it counts what JerryScript on the RP2040 executes,");
  out.push("  operation by operation, with weights fitted to runtime-facts.md's measurements of the board, so its figures are board ms");
  out.push('  with no scale factor; it counts rather than times, so they are the same every run. Per path: hand / firmware, board ms.');
  out.push(
    ...table(
      ['path', 'board ratio', 'model hand', 'model aff00d7', 'model ratio', 'model/board', 'model today', 'today ratio'],
      r.table.map((t) => [t.label, x(t.board.ratio), ms(t.model.handMs), ms(t.model.beforeMs), x(t.model.beforeRatio), x(t.model.beforeRatio / t.board.ratio), ms(t.model.afterMs), x(t.model.afterRatio) + (t.model.afterRatio < SLOW_RATIO ? ' ✗' : '')]),
      [false, true, true, true, true, true, true, true],
    ).map((l) => '  ' + l),
  );
  out.push(`  How well the model tracks the board on aff00d7: model ratio / board ratio, geometric mean ${x(m.tracking.geomean)}, from ${x(m.tracking.min)} to ${x(m.tracking.max)}`);
  const modelled = r.paths.filter((p) => p.model !== undefined);
  if (modelled.length > 0) {
    out.push(`  All ${modelled.length} paths under the model: the lowest ratio for each optimizer and batch mode, and its path`);
    const modes = BATCH_MODES.filter((b) => r.minima.some((q) => q.batch === b && q.model));
    out.push(
      ...table(
        ['optimizer', ...modes.map(batchLabel)],
        PATH_OPTIMIZERS.filter((o) => r.minima.some((q) => q.optimizer === o && q.model)).map((o) => [
          o,
          ...modes.map((b) => {
            const q = r.minima.find((v) => v.optimizer === o && v.batch === b)?.model;
            return q ? `${x(q.ratio)}${q.ratio < SLOW_RATIO ? ' ✗' : ''} ${q.path}` : '';
          }),
        ]),
      ).map((l) => '  ' + l),
    );
    const slow = modelled.filter((p) => !((p.model as { ratio: number }).ratio >= SLOW_RATIO));
    out.push(`  paths under ${SLOW_RATIO}× in the model: ${slow.length === 0 ? 'none' : slow.length + ' — ' + slow.map((p) => `${p.name} ${x((p.model as { ratio: number }).ratio)}`).join(', ')}`);
    const ratios = modelled.map((p) => (p.model as { ratio: number }).ratio).sort((a, b) => a - b);
    out.push(`  all paths: ratio from ${x(ratios[0])} to ${x(ratios[ratios.length - 1])}, median ${x(ratios[ratios.length >> 1])}`);
  } else {
    out.push('  (--quick: the model ran the seven table paths only)');
  }
  out.push(`  One epoch record (1 feature) formatted and printed: ${ms(m.record.bitsMs)} ms ${check(m.record.bitsMs, RECORD_TARGET_MS)} target ≤ ${RECORD_TARGET_MS} ms (the old shortest decimals: ${ms(m.record.decimalMs)} ms; the board measured ${(BOARD_FACTS.oldRecordUs / 1000).toFixed(1)} ms before printing)`);
  out.push(`  Seed job per epoch: sgd ${ms(m.seed.sgd.afterMs)} ms (aff00d7 ${ms(m.seed.sgd.beforeMs)}, board ${ms(BOARD_FACTS.oldSeedSgdMs)}), adam ${ms(m.seed.adam.afterMs)} ms (aff00d7 ${ms(m.seed.adam.beforeMs)}, board ${ms(BOARD_FACTS.oldSeedAdamMs)})`);
  out.push(`  Upload of 1,000 × 2: ${ms(m.upload.after1000x2Ms)} ms ${check(m.upload.after1000x2Ms, UPLOAD_TARGET_MS)} target ≤ ${UPLOAD_TARGET_MS / 1000} s; 1,000 × 1: ${ms(m.upload.after1000x1Ms)} ms (aff00d7 ${ms(m.upload.before1000x1Ms)} ms, board ${(BOARD_FACTS.oldUpload1000x1Ms / 1000).toFixed(1)} s with USB)`);
  return out;
}
