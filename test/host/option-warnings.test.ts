// Issue 10: options that do nothing are named (a warning each, from a table of who reads what),
// and values that would mislead the run are refused up front, host-side.
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { OPTIMIZERS, type TrainConfig } from '../../shared/config.ts';
import { UserError } from '../../host/errors.ts';
import { addTrainOptions, configFromOptions, configWithWarnings, OPTION_READERS, TRAIN_OPTIONS } from '../../host/options.ts';

function parse(args: string[]): Record<string, unknown> {
  const cmd = addTrainOptions(new Command('t').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} }));
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

/** The warnings for `args` (a string of options). */
function warnings(args: string, features = 1): string[] {
  return configWithWarnings(parse(args.split(' ').filter(Boolean)), features).warnings;
}

function refusal(args: string): string {
  try {
    configWithWarnings(parse(args.split(' ')), 1);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`expected ${args} to be refused`);
}

describe('options that do nothing', () => {
  it('says nothing for the defaults and for options the settings read', () => {
    expect(warnings('')).toEqual([]);
    expect(warnings('--optimizer sgd --momentum 0.9 --dampening 0.1')).toEqual([]);
    expect(warnings('--optimizer momentum --nesterov --dampening 0')).toEqual([]);
    expect(warnings('--optimizer rmsprop --momentum 0.9 --alpha 0.9 --centered --eps 1e-6')).toEqual([]);
    expect(warnings('--optimizer adamw --beta1 0.8 --beta2 0.99 --amsgrad --eps 1e-6')).toEqual([]);
    expect(warnings('--optimizer adagrad --lr-decay 0.1 --initial-accumulator 0.1')).toEqual([]);
    expect(warnings('--optimizer adadelta --rho 0.5')).toEqual([]);
    expect(warnings('--schedule step --step-size 5 --gamma 0.5')).toEqual([]);
    expect(warnings('--schedule exponential --gamma 0.9')).toEqual([]);
    expect(warnings('--schedule inverse --decay 0.1')).toEqual([]);
    expect(warnings('--schedule cosine --t-max 50 --eta-min 0.001')).toEqual([]);
    expect(warnings('--noise-eta 0.01 --noise-gamma 0.5 --curriculum --curriculum-epochs 5 --init-b 1')).toEqual([]);
    expect(warnings('--patience 10 --min-delta 0.001 --val-split 0.2')).toEqual([]);
  });

  it('--patience works without --val-split (early stopping then watches the training loss): no warning', () => {
    expect(warnings('--patience 5')).toEqual([]);
    expect(warnings('--patience 5 --min-delta 0.01')).toEqual([]);
  });

  it('names momentum options given to an optimizer without momentum (rmsprop has momentum)', () => {
    for (const opt of ['adam', 'adamw', 'adagrad', 'adadelta']) {
      expect(warnings(`--optimizer ${opt} --momentum 0.9`)).toEqual([`--momentum does nothing with --optimizer ${opt}; only sgd, momentum, nesterov or rmsprop read it`]);
      expect(warnings(`--optimizer ${opt} --dampening 0.1`)).toEqual([`--dampening does nothing with --optimizer ${opt}; only sgd, momentum or nesterov read it`]);
    }
    expect(warnings('--optimizer rmsprop --momentum 0.9 --nesterov')).toEqual(['--nesterov does nothing with --optimizer rmsprop; only sgd, momentum or nesterov read it']);
    expect(warnings('--dampening 0.5')).toEqual(['--dampening does nothing without momentum: give --momentum 0.9, say (or --optimizer momentum)']);
  });

  it('names the options of other optimizers', () => {
    expect(warnings('--beta1 0.5 --beta2 0.9 --amsgrad')).toEqual([
      '--beta1 does nothing with --optimizer sgd; only adam or adamw read it',
      '--beta2 does nothing with --optimizer sgd; only adam or adamw read it',
      '--amsgrad does nothing with --optimizer sgd; only adam or adamw read it',
    ]);
    expect(warnings('--optimizer adam --rho 0.5')).toEqual(['--rho does nothing with --optimizer adam; only adadelta reads it']);
    expect(warnings('--optimizer adam --alpha 0.5 --centered')).toEqual([
      '--alpha does nothing with --optimizer adam; only rmsprop reads it',
      '--centered does nothing with --optimizer adam; only rmsprop reads it',
    ]);
    expect(warnings('--optimizer rmsprop --lr-decay 0.1 --initial-accumulator 1')).toEqual([
      '--lr-decay does nothing with --optimizer rmsprop; only adagrad reads it',
      '--initial-accumulator does nothing with --optimizer rmsprop; only adagrad reads it',
    ]);
    expect(warnings('--eps 1e-6')).toEqual(['--eps does nothing with --optimizer sgd; only adagrad, adadelta, rmsprop, adam or adamw read it']);
  });

  it('names schedule options without the schedule that reads them', () => {
    expect(warnings('--gamma 0.5 --step-size 3 --decay 0.1 --t-max 5 --eta-min 0.001')).toEqual([
      '--step-size does nothing without a schedule: give --schedule step',
      '--gamma does nothing without a schedule: give --schedule step or exponential',
      '--decay does nothing without a schedule: give --schedule inverse',
      '--t-max does nothing without a schedule: give --schedule cosine',
      '--eta-min does nothing without a schedule: give --schedule cosine',
    ]);
    expect(warnings('--schedule cosine --gamma 0.5')).toEqual(['--gamma does nothing with --schedule cosine; only --schedule step or exponential reads it']);
    expect(warnings('--schedule exponential --step-size 4')).toEqual(['--step-size does nothing with --schedule exponential; only --schedule step reads it']);
  });

  it('names options whose switch is off', () => {
    expect(warnings('--init-b 1 --no-bias')).toEqual(['--init-b does nothing with --no-bias: the model has no b; leave one of them out']);
    expect(warnings('--noise-gamma 0.5')).toEqual(['--noise-gamma does nothing without --noise-eta: gradient noise is off; give --noise-eta 0.01, say']);
    expect(warnings('--curriculum-epochs 5')).toEqual(['--curriculum-epochs does nothing without --curriculum: add --curriculum']);
    expect(warnings('--min-delta 0.1')).toEqual(['--min-delta does nothing without --patience: early stopping is off; give --patience 10, say']);
    expect(warnings('--patience 200 --epochs 100')).toEqual([
      '--patience does nothing with --epochs 100: the run ends before 200 epochs without improvement can pass; give a smaller --patience or more --epochs',
    ]);
    expect(warnings('--patience 100 --epochs 100')).toEqual([]);
  });

  it('is a table: every option it names is a training option, and every optimizer reads something in it', () => {
    const keys = TRAIN_OPTIONS.map((s) => s.key);
    for (const k of Object.keys(OPTION_READERS)) expect(keys).toContain(k);
    for (const opt of OPTIMIZERS) expect(Object.values(OPTION_READERS).some((r) => r?.optimizers?.includes(opt))).toBe(true);
  });

  it('configFromOptions hands each warning to its callback (the commands print them) and still returns the config', () => {
    const seen: string[] = [];
    const c: TrainConfig = configFromOptions(parse(['--optimizer', 'adam', '--momentum', '0.9']), 1, (w) => seen.push(w));
    expect(c.optimizer).toBe('adam');
    expect(seen).toEqual(['--momentum does nothing with --optimizer adam; only sgd, momentum, nesterov or rmsprop read it']);
  });
});

describe('refused up front, host-side', () => {
  it('a float option that float32 turns into 0', () => {
    expect(refusal('--lr 1e-50')).toBe('--lr 1e-50 rounds to 0 in float32, the precision the engine and torch keep numbers in; the smallest value above 0 is 1.4e-45');
    expect(refusal('--init-b -1e-60')).toMatch(/^--init-b -1e-60 rounds to 0 in float32/);
    expect(refusal('--init-w 1,1e-50')).toMatch(/^--init-w 1e-50 rounds to 0 in float32/);
    expect(refusal('--optimizer adam --eps 1e-46')).toMatch(/^--eps 1e-46 rounds to 0/);
    // The smallest float32 itself, and 0, are fine.
    expect(configWithWarnings(parse(['--lr', '1.4e-45']), 1).config.lr).toBe(1.4e-45);
    expect(configWithWarnings(parse(['--init-b', '0']), 1).config.initB).toBe(0);
  });

  it('β of 1, as torch.optim.Adam does', () => {
    expect(refusal('--optimizer adam --beta1 1')).toBe('--beta1 1: must be below 1 (torch.optim.Adam requires 0 ≤ β < 1)');
    expect(refusal('--optimizer adamw --beta2 1.0')).toBe('--beta2 1.0: must be below 1 (torch.optim.Adam requires 0 ≤ β < 1)');
    expect(configWithWarnings(parse(['--optimizer', 'adam', '--beta1', '0', '--beta2', '0.9999']), 1).config).toMatchObject({ beta1: 0, beta2: 0.9999 });
  });

  it('keeps torch.optim.Adadelta\'s 0 ≤ rho ≤ 1: rho 1 is allowed', () => {
    expect(configWithWarnings(parse(['--optimizer', 'adadelta', '--rho', '1']), 1).config.rho).toBe(1);
    expect(configWithWarnings(parse(['--optimizer', 'adadelta', '--rho', '0']), 1).config.rho).toBe(0);
  });

  it('--eta-min above the learning rate with the cosine schedule', () => {
    expect(refusal('--schedule cosine --eta-min 0.5')).toBe(
      '--eta-min 0.5: is above the learning rate (0.01 for sgd), so the cosine schedule would raise the rate instead of lowering it; give an --eta-min below --lr',
    );
    expect(refusal('--optimizer adam --schedule cosine --eta-min 0.002')).toMatch(/^--eta-min 0\.002: is above the learning rate \(0\.001 for adam\)/);
    expect(configWithWarnings(parse(['--schedule', 'cosine', '--eta-min', '0.01']), 1).config.etaMin).toBe(0.01);
  });
});
