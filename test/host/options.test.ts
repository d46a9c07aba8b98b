import { describe, expect, it } from 'vitest';
import { Command, CommanderError } from 'commander';
import { defaultConfig, OPTION_NAMES, type TrainConfig } from '../../shared/config.ts';
import { UserError } from '../../host/errors.ts';
import { addTrainOptions, configFromOptions, TRAIN_OPTION_KEYS } from '../../host/options.ts';

/** The options commander collects for `args`, through the same declarations every command uses. */
function parse(args: string[]): Record<string, unknown> {
  const cmd = addTrainOptions(new Command('t').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} }));
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

function config(args: string[], features = 1): TrainConfig {
  return configFromOptions(parse(args), features);
}

function userError(args: string[], features = 1): string {
  try {
    config(args, features);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error(`expected ${args.join(' ')} to be refused`);
}

describe('addTrainOptions', () => {
  it('declares every training setting under its exact CLI name, with its default in --help', () => {
    const cmd = addTrainOptions(new Command('t'));
    const help = cmd.helpInformation();
    for (const [key, name] of Object.entries(OPTION_NAMES)) {
      const option = cmd.options.find((o) => o.long === `--${name}`);
      expect(option, name).toBeDefined();
      expect(option!.attributeName()).toBe(key);
      expect(option!.description).toMatch(/\(default: [^)]+\)/);
      expect(help).toContain(`--${name}`);
    }
    expect(cmd.options).toHaveLength(Object.keys(OPTION_NAMES).length);
    expect([...TRAIN_OPTION_KEYS].sort()).toEqual(Object.keys(OPTION_NAMES).sort());
  });

  it('lets commander refuse unknown options and bad choices', () => {
    expect(() => parse(['--learning-rate', '1'])).toThrow(CommanderError);
    expect(() => parse(['--optimizer', 'adamax'])).toThrow(/Allowed choices are sgd, momentum/);
    expect(() => parse(['--schedule', 'linear'])).toThrow(/Allowed choices are constant/);
    expect(() => parse(['--shuffle=yes'])).toThrow(/unknown option/);
  });
});

describe('configFromOptions', () => {
  it('gives the defaults of shared/config.ts when nothing is given', () => {
    expect(config([])).toEqual(defaultConfig('sgd'));
  });

  it('passes only what the user gave, so the optimizer chooses the other defaults', () => {
    expect(config(['--optimizer', 'adam'])).toEqual(defaultConfig('adam'));
    expect(config(['--optimizer', 'adam']).lr).toBe(0.001);
    expect(config(['--optimizer', 'nesterov'])).toMatchObject({ momentum: 0.9, nesterov: true });
    expect(config(['--optimizer', 'adam', '--lr', '0.05']).lr).toBe(0.05);
  });

  it('reads every kind of option', () => {
    const c = config(
      ['--optimizer', 'rmsprop', '--lr', '1e-3', '--momentum', '0.5', '--centered', '--batch', '4', '--epochs', '20', '--no-bias', '--init-w', '0.5,-1',
        '--init-b', '-2', '--shuffle', '--seed', '42', '--val-split', '0.25', '--patience', '3', '--min-delta', '1e-6', '--schedule', 'cosine', '--t-max', '10',
        '--eta-min', '0.0001', '--noise-eta', '0.3', '--noise-gamma', '0.55', '--curriculum', '--curriculum-epochs', '5', '--standardize', '--weight-decay', '0.01'],
      2,
    );
    expect(c).toMatchObject({
      optimizer: 'rmsprop', lr: 0.001, momentum: 0.5, centered: true, batch: 4, epochs: 20, bias: false, initW: [0.5, -1], initB: -2, shuffle: true, seed: 42,
      valSplit: 0.25, patience: 3, minDelta: 1e-6, schedule: 'cosine', tMax: 10, etaMin: 0.0001, noiseEta: 0.3, curriculum: true, curriculumEpochs: 5,
      standardize: true, weightDecay: 0.01,
    });
  });

  it('reads a negative value after its option', () => {
    expect(config(['--init-b', '-3', '--init-w', '-1']).initB).toBe(-3);
  });

  it('refuses malformed numbers, naming the option', () => {
    expect(userError(['--lr', 'abc'])).toBe('--lr: expected a number such as 0.01, got "abc"');
    for (const bad of ['1e', '', 'NaN', 'Infinity', '0x10', '1,5', '1e999']) {
      expect(userError(['--lr', bad])).toMatch(/^--lr: expected a number/);
    }
    expect(userError(['--epochs', '2.5'])).toBe('--epochs: expected a whole number, got "2.5"');
    expect(userError(['--weight-decay', 'lots'])).toMatch(/^--weight-decay: /);
    expect(userError(['--init-w', '1,,2'], 3)).toBe('--init-w: value 2 of 3, "", is not a number; give comma-separated numbers such as 1,0.5');
  });

  it("turns resolveConfig's range checks into user errors naming the option", () => {
    expect(userError(['--lr', '0'])).toMatch(/^--lr: 0 is out of range/);
    expect(userError(['--momentum', '1.5'])).toMatch(/^--momentum: /);
    expect(userError(['--val-split', '0.95'])).toMatch(/^--val-split: /);
    expect(userError(['--epochs', '0'])).toMatch(/^--epochs: /);
    expect(userError(['--nesterov'])).toMatch(/^--nesterov: requires --momentum > 0/);
    expect(userError(['--init-w', '1,2,3'], 2)).toMatch(/^--init-w: has 3 values but the data has 2 features/);
  });

  it('ignores keys that are not training options (they belong to the command)', () => {
    expect(configFromOptions({ data: 'x.csv', format: 'text', lr: '0.5' }, 1).lr).toBe(0.5);
  });
});
