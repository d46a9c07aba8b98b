// Issue 10 ("One board, many windows"): clear one-line messages instead of Node stack traces and
// silent no-ops, through the real CLI (node host/bin.js) where that is how a user meets them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { divergenceAdvice, featureMaxAbs, magnitude, withAdvice } from '../../host/advice.ts';
import { DataError, parseCsvText } from '../../host/csv.ts';
import { UserError } from '../../host/errors.ts';
import { RecordFormatter } from '../../host/format.ts';
import { describeOpenError } from '../../host/link/port.ts';
import { writeFigure } from '../../host/plot/files.ts';
import { listenError, localAddresses, startDashboard } from '../../host/web/server.ts';
import { host, ROOT, type CliResult } from '../e2e/cli.ts';

const SEED = 'test/fixtures/data/seed.csv';
const tmp = mkdtempSync(join(tmpdir(), 'pt-messages-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An error the user can act on: exit 1 (or `code`), one line on stderr, no stack trace. */
function expectOneLine(r: CliResult, code = 1): string {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).toMatch(/^host: [^\n]+\n$/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.stderr.slice('host: '.length, -1);
}

/** x up to 2e7, y = 2x + 1: unscaled features on which even --lr 1e-14 diverges. */
const BIG = join(tmp, 'big.csv');
writeFileSync(BIG, 'x,y\n1000000,2000001\n5000000,10000001\n20000000,40000001\n12000000,24000001\n');

describe('the dashboard: --web-port taken, --host not this machine', () => {
  let busy: Server;
  let busyPort = 0;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it('startDashboard turns EADDRINUSE into a UserError naming --web-port', async () => {
    const err = await startDashboard({ port: busyPort }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`--web-port ${busyPort}: the port is in use by another program; choose another or leave --web-port out for a free one`);
  });

  it('startDashboard turns EADDRNOTAVAIL into a UserError naming --host and the addresses there are', async () => {
    const err = await startDashboard({ host: '10.9.9.9' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const others = localAddresses();
    expect((err as Error).message).toBe(
      `--host 10.9.9.9: this computer has no such address; use 127.0.0.1, 0.0.0.0${others.length > 0 ? ` or one of: ${others.join(', ')}` : ' (this computer has no other network address)'}`,
    );
  });

  it('maps a host name that does not resolve, and leaves other errors alone', () => {
    expect(listenError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), 'nosuch.invalid', 0).message).toMatch(/^--host nosuch\.invalid: no such host name; use 127\.0\.0\.1, 0\.0\.0\.0/);
    const other = Object.assign(new Error('boom'), { code: 'EWHATEVER' });
    expect(listenError(other, '127.0.0.1', 0)).toBe(other);
  });

  it('host compare --web --web-port <taken>: one line, exit 1, nothing trained', async () => {
    const r = await host(['compare', '--desktop', '--optimizers', 'sgd', '--data', SEED, '--web', '--web-port', String(busyPort), '--runs', join(tmp, 'cmp1')]);
    expect(expectOneLine(r)).toBe(`--web-port ${busyPort}: the port is in use by another program; choose another or leave --web-port out for a free one`);
    expect(r.stdout).toBe('');
  });

  it('host compare --web --host 10.9.9.9: one line, exit 1', async () => {
    const r = await host(['compare', '--desktop', '--optimizers', 'sgd', '--data', SEED, '--web', '--host', '10.9.9.9', '--runs', join(tmp, 'cmp2')]);
    expect(expectOneLine(r)).toMatch(/^--host 10\.9\.9\.9: this computer has no such address; use 127\.0\.0\.1, 0\.0\.0\.0/);
  });
});

describe('figures: --out into folders that are not there', () => {
  const run = join(tmp, 'seed.ndjson');
  beforeAll(async () => {
    const r = await host(['run', '--data', SEED, '--format', 'ndjson', '--out', run]);
    expect(r.code).toBe(0);
  });

  it('host plot --out creates the missing folders', async () => {
    const out = join(tmp, 'new', 'deeper', 'seed.svg');
    const r = await host(['plot', run, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(0);
  });

  it('host plot --out under a file: one line naming --out and the file', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'not a folder');
    const r = await host(['plot', run, '--out', join(file, 'sub', 'x.svg')]);
    expect(expectOneLine(r)).toBe(`--out ${join(file, 'sub', 'x.svg')}: cannot create the folder ${join(file, 'sub')}: ${file} is a file, not a folder`);
  });

  it('writeFigure: a folder in the way, and a name that is not .svg or .png', async () => {
    const dir = join(tmp, 'is-a-folder.svg');
    mkdirSync(dir);
    await expect(writeFigure('<svg/>', dir)).rejects.toThrow(new UserError(`${dir}: cannot write the figure: it is a folder; give a file name ending in .svg or .png`));
    await expect(writeFigure('<svg/>', join(tmp, 'x.gif'), 1, '--figure x.gif')).rejects.toThrow(/^--figure x\.gif: give a file name ending in \.svg or \.png$/);
  });
});

describe('host flash --file', () => {
  it('a missing file: "--file missing.js: no such file"', async () => {
    const r = await host(['flash', '--file', 'missing.js', '--port', '/dev/null']);
    expect(expectOneLine(r)).toBe('--file missing.js: no such file');
  });
});

describe('stdout closed early (| head)', () => {
  it('ends quietly with exit 0, as Unix tools do', () => {
    // Long enough that the run is still printing when head has gone.
    const r = spawnSync('/bin/bash', ['-c', `node host/bin.js run --data ${SEED} --epochs 200000 --format text | head -3; echo "status \${PIPESTATUS[0]}" >&2`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stdout.split('\n')).toHaveLength(4);
    expect(r.stderr).toBe('status 0\n');
  });
});

describe('options that do nothing, and values refused (through host run)', () => {
  it('prints a warning line per option and trains as usual', async () => {
    const r = await host(['run', '--data', SEED, '--format', 'ndjson', '--optimizer', 'adam', '--momentum', '0.9', '--init-b', '1', '--no-bias']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'host: warning: --momentum does nothing with --optimizer adam; only sgd, momentum, nesterov or rmsprop read it\n' +
        'host: warning: --init-b does nothing with --no-bias: the model has no b; leave one of them out\n',
    );
    expect(r.stdout).toContain('"type":"done"');
  });

  it('host compare says each once, not once per optimizer', async () => {
    const r = await host(['compare', '--desktop', '--optimizers', 'sgd,adam', '--data', SEED, '--init-b', '1', '--no-bias', '--runs', join(tmp, 'cmp3'), '--figure', join(tmp, 'cmp3', 'c.svg')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('--init-b does nothing'))).toHaveLength(1);
  });

  for (const [args, message] of [
    [['--lr', '1e-50'], '--lr 1e-50 rounds to 0 in float32, the precision the engine and torch keep numbers in; the smallest value above 0 is 1.4e-45'],
    [['--optimizer', 'adam', '--beta1', '1'], '--beta1 1: must be below 1 (torch.optim.Adam requires 0 ≤ β < 1)'],
    [['--schedule', 'cosine', '--eta-min', '0.5'], '--eta-min 0.5: is above the learning rate (0.01 for sgd), so the cosine schedule would raise the rate instead of lowering it; give an --eta-min below --lr'],
  ] as const) {
    it(`refuses ${args.join(' ')}`, async () => {
      const r = await host(['run', '--data', SEED, '--format', 'ndjson', ...args]);
      expect(expectOneLine(r)).toBe(message);
      expect(r.stdout).toBe('');
    });
  }
});

describe('divergence on unscaled features: --standardize, not only a smaller --lr', () => {
  it('host run --lr 1e-14 on x up to 2e7 still diverges, and says to standardize (text)', async () => {
    const r = await host(['run', '--data', BIG, '--lr', '1e-14', '--format', 'text']);
    expect(r.code).toBe(2);
    const last = r.stdout.trim().split('\n').pop() as string;
    expect(last).toMatch(/^Diverged at epoch \d+: the loss reached .*: the features are large \(up to 2e7\): try --standardize\.$/);
    expect(last).not.toContain('--lr');
  });

  it('ndjson keeps the engine\'s record and puts the advice on stderr', async () => {
    const r = await host(['run', '--data', BIG, '--lr', '1e-14', '--format', 'ndjson']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('"reason":"diverged"');
    expect(r.stderr).toBe('host: the run diverged: the features are large (up to 2e7): try --standardize\n');
  });

  it('with --standardize the same data trains at the default rate', async () => {
    const r = await host(['run', '--data', BIG, '--standardize', '--format', 'ndjson']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('divergenceAdvice: large features, features of very different scales, or nothing to add', () => {
    expect(divergenceAdvice([2e7], { standardize: false })).toBe('the features are large (up to 2e7): try --standardize');
    expect(divergenceAdvice([2e7], { standardize: true })).toBe('');
    expect(divergenceAdvice([0.5, 900], { standardize: false })).toBe("the features' scales differ 1800-fold (largest |x| from 0.5 to 900): try --standardize");
    expect(divergenceAdvice([3, 40], { standardize: false })).toBe('');
    expect(divergenceAdvice([0, 5], { standardize: false })).toBe('');
    expect(featureMaxAbs(new Float32Array([1, -300, 9, -2, 4, 9]), 2, 2)).toEqual([2, 300]);
    expect([magnitude(2e7), magnitude(1.5e7), magnitude(3500), magnitude(0.0002)]).toEqual(['2e7', '1.5e7', '3500', '2e-4']);
  });

  it('the text formatter puts the advice in place of the engine\'s "try --lr"', () => {
    const engine = 'the loss reached 1e30, over 10000 times its starting scale 5e14: the learning rate 1e-14 is too high for this data; try --lr 1e-15 or smaller';
    const done = JSON.stringify({ type: 'done', reason: 'diverged', epoch: 9, w: [255], b: 0, loss: 1e30, message: engine });
    expect(new RecordFormatter('text', { divergenceAdvice: 'the features are large (up to 2e7): try --standardize' }).line(done)).toEqual([
      'Diverged at epoch 9: the loss reached 1e30, over 10000 times its starting scale 5e14: the features are large (up to 2e7): try --standardize.',
    ]);
    expect(new RecordFormatter('text').line(done)).toEqual([`Diverged at epoch 9: ${engine}.`]);
    // The engine's message for a first loss that overflows already names --standardize.
    const first = 'the loss at the starting parameters is not a finite float32: scale the data down, use --standardize, or give a smaller --init-w';
    expect(withAdvice(first, 'the features are large (up to 2e7): try --standardize')).toBe(first);
  });
});

describe('CSV: the real cause of a decimal comma or a thousands separator', () => {
  function problem(text: string): string {
    try {
      parseCsvText(text, 'in.csv');
    } catch (err) {
      expect(err).toBeInstanceOf(DataError);
      return (err as Error).message;
    }
    throw new Error(`expected ${JSON.stringify(text)} to be refused`);
  }

  it('decimal commas with semicolons, even on a first row with no header', () => {
    const msg = 'in.csv:1:1: "1,5" has a decimal comma; write 1.5 with a point, or export the file with a point as the decimal separator (the delimiter here is semicolon (;))';
    expect(problem('1,5;3,0\n2,5;4,0\n')).toBe(msg);
    expect(problem('x;y\n1,5;3,0\n')).toBe(msg.replace('in.csv:1:1', 'in.csv:2:1'));
    expect(problem('x;y\n1,000;2\n')).toBe(
      'in.csv:2:1: "1,000" has a decimal comma; write 1.000 with a point (or 1000 if the comma separates thousands), or export the file with a point as the decimal separator (the delimiter here is semicolon (;))',
    );
    expect(problem('x,y\n"1,5",2\n')).toMatch(/^in\.csv:2:1: "1,5" has a decimal comma; write 1\.5 with a point/);
  });

  it('quoted thousands separators', () => {
    expect(problem('x,y\n"1,000",2\n')).toBe('in.csv:2:1: "1,000" has a thousands separator; write 1000 without it (or 1.000 if the comma is a decimal comma)');
    expect(problem('x,y\n3,"12,345,678"\n')).toBe('in.csv:2:3: "12,345,678" has a thousands separator; write 12345678 without it');
    expect(problem('x,y\n"1,000.5",2\n')).toBe('in.csv:2:1: "1,000.5" has a thousands separator; write 1000.5 without it');
    expect(problem('x;y\n1.000,5;2\n')).toBe('in.csv:2:1: "1.000,5" has a thousands separator (.) and a decimal comma; write 1000.5: no separator, a point for the decimals');
    expect(problem('x;y\n1 000;2\n')).toBe('in.csv:2:1: "1 000" is not a number: it has a thousands separator; write 1000 without it');
  });

  it('through the CLI: one line, exit 1', async () => {
    const file = join(tmp, 'comma.csv');
    writeFileSync(file, '1,5;3,0\n2,5;5,0\n');
    const r = await host(['run', '--data', file, '--format', 'ndjson']);
    expect(expectOneLine(r)).toMatch(/comma\.csv:1:1: "1,5" has a decimal comma; write 1\.5 with a point/);
  });
});

describe('--port that is not a serial port', () => {
  it('describeOpenError: "Inappropriate ioctl for device" and a folder', () => {
    expect(describeOpenError('/dev/null', new Error('Error: Inappropriate ioctl for device setting custom baud rate of 115200')).message).toBe(
      "/dev/null is not a serial port (it takes no serial settings): give the board's port, such as /dev/ttyACM0; `npx host ports` lists them",
    );
    expect(describeOpenError('/tmp', new Error('Error: Is a directory, cannot open /tmp')).message).toMatch(/^\/tmp is a folder, not a serial port/);
  });

  it('host send --port /dev/null and --port <a regular file>: one line, exit 1', async () => {
    for (const port of ['/dev/null', SEED]) {
      const r = await host(['send', SEED, '--port', port]);
      expect(expectOneLine(r)).toBe(`${port} is not a serial port (it takes no serial settings): give the board's port, such as /dev/ttyACM0; \`npx host ports\` lists them`);
    }
  });
});
