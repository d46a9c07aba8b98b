// `host run` end to end. Most cases call the command in-process (runCommand: the same code the
// CLI's action runs); one spawns the real CLI into a pipe, for the default format and the exit code.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRecord, type DoneRecord, type EpochRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { predict, runCommand, type RunOptions } from '../../host/desktop-run.ts';
import { UserError } from '../../host/errors.ts';

const SEED = 'test/fixtures/data/seed.csv';
/** The seed scripts' run: full-batch GD, lr 0.01, 100 epochs, y = w·x from w = 1. */
const SEED_ARGS: RunOptions = { data: SEED, bias: false, lr: '0.01', epochs: '100' };
/** torch float32 after 100 epochs (../shared/reference/torch-seed.json). */
const TORCH_W = 1.99994433;

const tmp = mkdtempSync(join(tmpdir(), 'host-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function runIn(opts: RunOptions, isTTY = false) {
  let stdout = '';
  let stderr = '';
  const result = runCommand(opts, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), isTTY });
  return { ...result, stdout, stderr, lines: stdout.split('\n').filter((l) => l !== '') };
}

function records(lines: string[]): ProtocolRecord[] {
  return lines.map((l) => parseRecord(l)).filter((r): r is ProtocolRecord => r !== null);
}

describe('host run', () => {
  it("reproduces the seed scripts' result: w = 1.99994433 at epoch 100, predict(4) ≈ 7.99978", () => {
    const r = runIn({ ...SEED_ARGS, format: 'ndjson', predict: '4' });
    const recs = records(r.lines);
    expect(recs[0]).toMatchObject({ type: 'start', source: 'desktop', samples: 3, features: 1, config: { bias: false, lr: 0.01, epochs: 100, batch: 0 } });
    const epochs = recs.filter((x): x is EpochRecord => x.type === 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    expect(epochs[0]).toMatchObject({ w: [1], b: 0 });
    expect(Math.abs(epochs[100].w[0] - TORCH_W)).toBeLessThan(1e-6);
    const done = recs.find((x): x is DoneRecord => x.type === 'done')!;
    expect(done).toMatchObject({ reason: 'epochs', epoch: 100 });
    expect(r.prediction).toBeCloseTo(7.99978, 5);
    // ndjson stays JSON: the prediction is one more JSON line, after the done record.
    const line = JSON.parse(r.lines[r.lines.length - 1]);
    expect(line).toMatchObject({ type: 'predict', x: [4] });
    expect(Math.fround(line.y)).toBe(r.prediction); // shortest decimal of the float32
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('prints the seed-script lines in text format, ending with a summary and the prediction', () => {
    const r = runIn({ ...SEED_ARGS, format: 'text', predict: '4' });
    expect(r.lines[1]).toBe('Epoch: 0 W= 1 Loss= 4.6666665');
    expect(r.lines[2]).toBe('Epoch: 1 W= 1.0933334 Loss= 3.8362072');
    expect(r.lines[101]).toMatch(/^Epoch: 100 W= 1\.99994\d* Loss= /);
    expect(r.lines[102]).toMatch(/^Done: 100 epochs\. W= 1\.99994/);
    expect(r.lines[103]).toMatch(/^predict\(4\) = 7\.9997/);
  });

  it('uses text on a terminal and ndjson otherwise when --format is not given', () => {
    expect(runIn({ data: SEED, epochs: '1' }, true).lines[1]).toMatch(/^Epoch: 0 /);
    expect(parseRecord(runIn({ data: SEED, epochs: '1' }, false).lines[1])).toMatchObject({ type: 'epoch', epoch: 0 });
  });

  it('prints a table in csv format, the prediction going to stderr', () => {
    const r = runIn({ ...SEED_ARGS, epochs: '2', format: 'csv', predict: '4' });
    expect(r.lines[0]).toBe('epoch,w1,b,loss,val_loss,lr');
    expect(r.lines).toHaveLength(4);
    expect(r.lines[1]).toBe('0,1,0,4.6666665,,0.01');
    expect(r.stderr).toMatch(/^predict\(4\) = /);
  });

  it('writes the run file with exactly the records printed', () => {
    const out = join(tmp, 'run.ndjson');
    const r = runIn({ data: 'test/fixtures/data/two-features-noisy.csv', optimizer: 'adam', lr: '0.1', epochs: '300', format: 'ndjson', out });
    expect(readFileSync(out, 'utf8')).toBe(r.stdout);
    const done = records(r.lines).find((x): x is DoneRecord => x.type === 'done')!;
    // y = 3·x1 − 2·x2 + 1 plus noise: Adam finds it.
    expect(done.w[0]).toBeCloseTo(3, 1);
    expect(done.w[1]).toBeCloseTo(-2, 1);
    expect(Math.abs(done.b - 1)).toBeLessThan(0.2);
  });

  it('trains on semicolon, CRLF and BOM data with a validation split and early stopping', () => {
    const r = runIn({ data: 'test/fixtures/data/houses-semicolon-crlf-bom.csv', standardize: true, lr: '0.1', epochs: '300', valSplit: '0.25', patience: '10', format: 'ndjson' });
    const recs = records(r.lines);
    expect(recs[0]).toMatchObject({ type: 'start', samples: 24, features: 3, train: 18, val: 6 });
    expect(recs.filter((x) => x.type === 'epoch').every((e) => (e as EpochRecord).val_loss !== undefined)).toBe(true);
    expect(recs[recs.length - 1].type).toBe('done');
  });

  it('exits with 2 when training diverges, and says to lower the learning rate', () => {
    const r = runIn({ data: SEED, lr: '1', format: 'text' });
    expect(r.exitCode).toBe(2);
    expect(r.done?.reason).toBe('diverged');
    expect(r.lines[r.lines.length - 1]).toMatch(/^Diverged at epoch \d+: .*--lr/);
  });

  it('refuses bad input before training: nothing printed, no run file', () => {
    const out = join(tmp, 'never.ndjson');
    let stdout = '';
    const io = { stdout: (s: string) => (stdout += s), stderr: () => {}, isTTY: false };
    expect(() => runCommand({ data: 'test/fixtures/bad/nan.csv', out }, io)).toThrow(UserError);
    expect(() => runCommand({ data: SEED, out, initW: '1,2' }, io)).toThrow(/--init-w/);
    expect(() => runCommand({ data: SEED, out, predict: 'x' }, io)).toThrow(/--predict/);
    expect(() => runCommand({}, io)).toThrow(/--data is required/);
    expect(stdout).toBe('');
    expect(() => readFileSync(out)).toThrow();
  });

  it('predicts in float32, as torch does', () => {
    expect(predict([1.99994433], 0, [4])).toBe(Math.fround(Math.fround(1.99994433) * 4));
    expect(predict([2, -1], 0.5, [3, 1])).toBe(5.5);
  });

  it('the real CLI, piped: ndjson by default, the seed result, exit code 0', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['host/bin.js', 'run', '--data', SEED, '--no-bias', '--lr', '0.01', '--epochs', '100', '--predict', '4'],
      { encoding: 'utf8' },
    );
    expect(stderr).toBe('');
    const lines = stdout.trim().split('\n');
    const recs = records(lines);
    expect(recs).toHaveLength(lines.length - 1); // every line a record, plus the predict line
    const last = recs[recs.length - 1] as DoneRecord;
    expect(last).toMatchObject({ type: 'done', reason: 'epochs', epoch: 100 });
    expect(Math.abs(last.w[0] - TORCH_W)).toBeLessThan(1e-6);
    expect(JSON.parse(lines[lines.length - 1]).y).toBeCloseTo(7.99978, 5);
  });
});
