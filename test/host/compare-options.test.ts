// `host compare --optimizers …`: the list's syntax (name, name:lr, name:key=value), where an option
// typed once goes, and the refusals (an option no listed optimizer reads, two entries that are the
// same run). Then the table of who reads what, against the engine itself, and the CLI.
import { Command } from 'commander';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, OPTIMIZERS, resolveConfig, type TrainConfig } from '../../shared/config.ts';
import { parseRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { parseOptimizerList, readsOption, resolveComparison, runIdentity } from '../../host/compare-options.ts';
import { readDataset } from '../../host/csv.ts';
import { UserError } from '../../host/errors.ts';
import { runOnDesktop } from '../../host/jobs.ts';
import { addTrainOptions } from '../../host/options.ts';
import { host } from '../e2e/cli.ts';
import { tempDir } from '../helpers/temp.ts';

/** What commander collects for `args` (the compare command's training options). */
function shared(args: string[]): Record<string, unknown> {
  const cmd = addTrainOptions(new Command('t').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} }));
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

function resolve(list: string, args: string[] = [], features = 1) {
  return resolveComparison(parseOptimizerList(list), shared(args), features);
}

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('parseOptimizerList', () => {
  it('reads name, name:lr and name:key=value, keeping each entry as typed for its label', () => {
    expect(parseOptimizerList('sgd, momentum:momentum=0.5,adam:0.05,adam:lr=0.01:beta1=0.8')).toEqual([
      { label: 'sgd', name: 'sgd', own: {} },
      { label: 'momentum:momentum=0.5', name: 'momentum', own: { momentum: '0.5' } },
      { label: 'adam:0.05', name: 'adam', own: { lr: '0.05' } },
      { label: 'adam:lr=0.01:beta1=0.8', name: 'adam', own: { lr: '0.01', beta1: '0.8' } },
    ]);
  });

  it('takes any training option by its CLI name (or its config key), booleans bare or =true/false', () => {
    expect(parseOptimizerList('adamw:weight-decay=0.1:amsgrad,rmsprop:centered=false:weightDecay=0.01,sgd:batch=1:no-bias,sgd:bias=false:init-w=0.5')).toEqual([
      { label: 'adamw:weight-decay=0.1:amsgrad', name: 'adamw', own: { weightDecay: '0.1', amsgrad: true } },
      { label: 'rmsprop:centered=false:weightDecay=0.01', name: 'rmsprop', own: { centered: false, weightDecay: '0.01' } },
      { label: 'sgd:batch=1:no-bias', name: 'sgd', own: { batch: '1', bias: false } },
      { label: 'sgd:bias=false:init-w=0.5', name: 'sgd', own: { bias: false, initW: '0.5' } },
    ]);
  });

  it('refuses unknown names and options, an entry typed twice, an option twice, and a boolean that is not on or off', () => {
    expect(refusal(() => parseOptimizerList('sgd,adamx'))).toMatch(/^--optimizers: unknown optimizer "adamx"; choose from sgd, momentum/);
    expect(refusal(() => parseOptimizerList('adam:foo=1'))).toMatch(/^--optimizers: adam:foo=1: "foo=1" is not an option; write name, name:lr or name:key=value/);
    expect(refusal(() => parseOptimizerList('adam:0.05:0.1'))).toMatch(/"0\.1" is not an option/);
    expect(refusal(() => parseOptimizerList('sgd,sgd'))).toBe('--optimizers: sgd is listed twice');
    expect(refusal(() => parseOptimizerList('adam:0.05:lr=0.1'))).toBe('--optimizers: adam:0.05:lr=0.1 gives lr twice');
    expect(refusal(() => parseOptimizerList('adam:amsgrad=maybe'))).toMatch(/amsgrad is on or off: write amsgrad=true or amsgrad=false/);
    expect(refusal(() => parseOptimizerList('adam:beta1='))).toMatch(/beta1 needs a value/);
    expect(refusal(() => parseOptimizerList('adam:optimizer=sgd'))).toMatch(/the optimizer is the name before the first ":"/);
    expect(refusal(() => parseOptimizerList('sgd,,adam'))).toMatch(/an empty entry/);
  });
});

describe('resolveComparison', () => {
  it('gives each entry its own options over the ones typed once, over its defaults', () => {
    const r = resolve('sgd,momentum:momentum=0.5,adam:lr=0.05,adam:lr=0.01:beta1=0.8', ['--epochs', '7']);
    expect(r.labels).toEqual(['sgd', 'momentum:momentum=0.5', 'adam:lr=0.05', 'adam:lr=0.01:beta1=0.8']);
    expect(r.configs.map((c) => [c.optimizer, c.lr, c.momentum, c.beta1, c.epochs])).toEqual([
      ['sgd', 0.01, 0, 0.9, 7],
      ['momentum', 0.01, 0.5, 0.9, 7],
      ['adam', 0.05, 0, 0.9, 7],
      ['adam', 0.01, 0, 0.8, 7],
    ]);
    expect(r.note).toBeNull();
    expect(resolve('sgd,adam:0.05', ['--lr', '0.1']).configs.map((c) => c.lr)).toEqual([0.1, 0.05]);
  });

  it('gives --momentum to the optimizers whose defaults use it, and says so in one line; plain sgd stays the baseline', () => {
    const r = resolve('momentum,sgd', ['--momentum', '0.5']);
    expect(r.configs.map((c) => [c.optimizer, c.momentum])).toEqual([
      ['momentum', 0.5],
      ['sgd', 0],
    ]);
    expect(r.note).toBe('--momentum 0.5 for momentum only; sgd stays plain SGD (sgd:momentum=0.5 gives it momentum)');
    expect(resolve('sgd,nesterov,rmsprop,adam', ['--momentum', '0.5']).configs.map((c) => c.momentum)).toEqual([0, 0.5, 0.5, 0]);
    // with no optimizer of momentum's own listed, sgd is the one that reads it
    const lrs = resolve('sgd:lr=0.1,sgd', ['--momentum', '0.9']);
    expect(lrs.configs.map((c) => c.momentum)).toEqual([0.9, 0.9]);
    expect(lrs.note).toBeNull();
    expect(resolve('sgd,adam', ['--momentum', '0.9'])).toMatchObject({ note: '--momentum 0.9 for sgd only' });
  });

  it('gives each optimizer option only to the optimizers that read it', () => {
    const r = resolve('sgd,adagrad,adam', ['--eps', '1e-6', '--beta1', '0.8', '--weight-decay', '0.01']);
    expect(r.configs.map((c) => [c.eps, c.beta1, c.weightDecay])).toEqual([
      [1e-8, 0.9, 0.01], // sgd reads neither eps nor beta1 (its defaults are left as they are)
      [1e-6, 0.9, 0.01],
      [1e-6, 0.8, 0.01],
    ]);
    expect(r.note).toBe('--beta1 0.8 for adam only; --eps 1e-6 for adagrad, adam only');
    // dampening and nesterov go where there is momentum
    const d = resolve('sgd,momentum,sgd:momentum=0.5', ['--dampening', '0.1']);
    expect(d.configs.map((c) => c.dampening)).toEqual([0, 0.1, 0.1]);
    expect(resolve('sgd,momentum', ['--nesterov']).configs.map((c) => c.nesterov)).toEqual([false, true]);
  });

  it('refuses an option typed once that none of the optimizers listed reads', () => {
    expect(refusal(() => resolve('sgd,momentum', ['--beta1', '0.8']))).toBe('--beta1: applies to none of the optimizers listed (sgd, momentum): only adam or adamw read it');
    expect(refusal(() => resolve('sgd,adam', ['--dampening', '0.1']))).toBe(
      '--dampening: applies to none of the optimizers listed (sgd, adam): sgd has no momentum; only sgd, momentum or nesterov with momentum read it',
    );
    expect(refusal(() => resolve('sgd,adam', ['--nesterov']))).toBe('--nesterov: applies to none of the optimizers listed (sgd, adam): sgd has no momentum; only sgd, momentum or nesterov with momentum read it');
    expect(refusal(() => resolve('adam:0.05,sgd:0.1', ['--lr', '0.02']))).toBe('--lr: applies to none of the optimizers listed (adam:0.05, sgd:0.1): adam:0.05 has its own; sgd:0.1 has its own');
    expect(refusal(() => resolve('sgd,momentum:momentum=0.5', ['--momentum', '0.9']))).toBe(
      '--momentum: applies to none of the optimizers listed (sgd, momentum:momentum=0.5): momentum:momentum=0.5 has its own; sgd stays plain SGD (sgd:momentum=0.9 gives it momentum)',
    );
    expect(refusal(() => resolve('adam,adagrad', ['--momentum', '0.9']))).toMatch(/^--momentum: applies to none .*only sgd, momentum, nesterov or rmsprop read it$/);
  });

  it('refuses an own option that the entry\'s rule does not read, and names the entry for a bad value', () => {
    expect(refusal(() => resolve('adam:momentum=0.5'))).toBe('--optimizers: adam:momentum=0.5: adam does not read momentum (sgd, momentum, nesterov or rmsprop do)');
    expect(refusal(() => resolve('sgd:dampening=0.5'))).toBe('--optimizers: sgd:dampening=0.5: dampening does nothing here without momentum; add momentum=0.9');
    expect(refusal(() => resolve('adam:lr=abc'))).toBe('--optimizers: adam:lr=abc: lr: expected a number such as 0.01, got "abc"');
    expect(refusal(() => resolve('momentum:momentum=2'))).toMatch(/^--optimizers: momentum:momentum=2: momentum: 2 is out of range/);
  });

  it('refuses two entries that are the same run once the defaults are filled in', () => {
    expect(refusal(() => resolve('sgd,sgd:lr=0.01'))).toBe('--optimizers: sgd and sgd:lr=0.01 are the same run (equal settings once the defaults are filled in); change one or leave one out');
    expect(refusal(() => resolve('sgd:momentum=0.9,momentum'))).toMatch(/^--optimizers: sgd:momentum=0\.9 and momentum are the same run/);
    expect(refusal(() => resolve('momentum,nesterov', ['--nesterov']))).toMatch(/^--optimizers: momentum and nesterov are the same run/);
    expect(refusal(() => resolve('sgd,momentum:momentum=0'))).toMatch(/^--optimizers: sgd and momentum:momentum=0 are the same run/);
    expect(refusal(() => resolve('adam,adamw:weight-decay=0'))).toMatch(/are the same run/);
    expect(refusal(() => resolve('adam,adam:eps=1e-8'))).toMatch(/are the same run/);
    // what differs in a setting the rule reads is another run
    expect(resolve('sgd,sgd:batch=1').configs.map((c) => c.batch)).toEqual([0, 1]);
    expect(resolve('adam,adamw').labels).toEqual(['adam', 'adamw']);
  });
});

describe('who reads which option (host/options.ts OPTION_READERS) against the engine', () => {
  const data = readDataset('test/fixtures/data/two-features-noisy.csv');
  const records = (c: TrainConfig): ProtocolRecord[] => runOnDesktop({ kind: 'train', config: c }, data, null).filter((r) => r.type === 'epoch' || r.type === 'done');
  const other: Partial<Record<keyof TrainConfig, (c: TrainConfig) => unknown>> = {
    lr: (c) => c.lr / 2,
    momentum: (c) => (c.momentum === 0.5 ? 0.7 : 0.5),
    dampening: () => 0.3,
    nesterov: (c) => !c.nesterov,
    weightDecay: () => 0.2,
    lrDecay: () => 0.5,
    initialAccumulator: () => 0.5,
    rho: () => 0.5,
    alpha: () => 0.5,
    centered: (c) => !c.centered,
    beta1: () => 0.5,
    beta2: () => 0.5,
    eps: () => 0.5,
    amsgrad: (c) => !c.amsgrad,
  };
  for (const optimizer of OPTIMIZERS) {
    for (const withMomentum of optimizer === 'sgd' ? [false, true] : [false]) {
      it(`${optimizer}${withMomentum ? ' with momentum' : ''}: an option it does not read leaves the run as it is, one it reads changes it`, () => {
        const base = resolveConfig({ ...defaultConfig(optimizer), momentum: withMomentum ? 0.9 : defaultConfig(optimizer).momentum, epochs: 12, batch: 4, lr: optimizer === 'adadelta' ? 1 : 0.05 }, 2);
        const before = records(base);
        for (const [key, value] of Object.entries(other)) {
          let changed: TrainConfig;
          try {
            changed = resolveConfig({ ...base, [key]: value(base) }, 2);
          } catch {
            continue; // nesterov without momentum: refused anyway
          }
          const same = JSON.stringify(records(changed)) === JSON.stringify(before);
          expect(same, `${optimizer} ${key}`).toBe(!readsOption(key, base));
          expect(runIdentity(changed) === runIdentity(base), `${optimizer} ${key}`).toBe(same);
        }
      });
    }
  }
});

describe('host compare --desktop', () => {
  const tmp = tempDir('pt-compare-options-');
  const common = ['--data', 'test/fixtures/data/seed.csv', '--no-bias', '--epochs', '20', '--desktop'];

  it('labels tables, figures and run files as typed, and runs momentum with --momentum but sgd plain', async () => {
    const dir = join(tmp, 'a');
    const r = await host(['compare', '--optimizers', 'momentum,sgd,adam:lr=0.05,adam:lr=0.01:beta1=0.8', '--momentum', '0.5', ...common, '--runs', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('host: note: --momentum 0.5 for momentum only; sgd stays plain SGD (sgd:momentum=0.5 gives it momentum)\n');
    expect(r.stdout.split('\n').slice(1, 5).map((l) => l.split(/\s+/)[0])).toEqual(['momentum', 'sgd', 'adam:lr=0.05', 'adam:lr=0.01:beta1=0.8']);
    expect(readdirSync(dir).sort()).toEqual(['1-momentum.ndjson', '2-sgd.ndjson', '3-adam_lr_0.05.ndjson', '4-adam_lr_0.01_beta1_0.8.ndjson', 'compare.svg']);
    const starts = readdirSync(dir)
      .filter((f) => f.endsWith('.ndjson'))
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8').split('\n').map((l) => parseRecord(l)).find((rec) => rec?.type === 'start') as { config: TrainConfig });
    expect(starts.map((s) => [s.config.optimizer, s.config.momentum, s.config.lr, s.config.beta1])).toEqual([
      ['momentum', 0.5, 0.01, 0.9],
      ['sgd', 0, 0.01, 0.9],
      ['adam', 0, 0.05, 0.9],
      ['adam', 0, 0.01, 0.8],
    ]);
    const svg = readFileSync(join(dir, 'compare.svg'), 'utf8');
    for (const label of ['momentum', 'sgd', 'adam:lr=0.05', 'adam:lr=0.01:beta1=0.8']) expect(svg).toContain(`>${label}<`);
  });

  it('refuses the same run twice and an option nobody reads, before training', async () => {
    const a = await host(['compare', '--optimizers', 'sgd,sgd:lr=0.01', ...common, '--runs', join(tmp, 'b')]);
    expect(a.code).toBe(1);
    expect(a.stderr).toBe('host: --optimizers: sgd and sgd:lr=0.01 are the same run (equal settings once the defaults are filled in); change one or leave one out\n');
    const b = await host(['compare', '--optimizers', 'sgd,momentum', '--beta2', '0.9', ...common, '--runs', join(tmp, 'c')]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^host: --beta2: applies to none of the optimizers listed \(sgd, momentum\)/);
  });
});
