// What the console's forms send (host/web/client/console-form.ts): only what differs from torch's
// defaults, only options the chosen optimizer and schedule read, and a comparison as
// `host compare --optimizers` spells it. Checked against the commands' own option handling.
import { describe, expect, it } from 'vitest';
import { defaultConfig, OPTIMIZERS, type TrainConfig } from '../../shared/config.ts';
import { OPTION_READERS, configWithWarnings } from '../../host/options.ts';
import { formOptions } from '../../host/web/console.ts';
import { applies, defaultValue, differs, fieldLabel, optimizerList, optimizerReads, runState, sharedRunOptions, trainOptions, type FieldValue, type FormOption } from '../../host/web/client/console-form.ts';

const defaults: Record<string, TrainConfig> = Object.fromEntries(OPTIMIZERS.map((o) => [o, defaultConfig(o)]));
// As GET /api/console lists them (host/web/console.ts).
const options: FormOption[] = formOptions();
const opt = (key: string): FormOption => options.find((o) => o.key === key) as FormOption;

/** The form as it opens for `optimizer`: every field at that optimizer's default. */
function form(optimizer: string, changes: Record<string, FieldValue> = {}): Record<string, FieldValue> {
  const v: Record<string, FieldValue> = { optimizer };
  for (const o of options) if (o.key !== 'optimizer') v[o.key] = defaultValue(o.key, defaults[optimizer]);
  return { ...v, ...changes };
}

describe('the console form', () => {
  it('reads the hyper-parameters each optimizer reads, as host train warns about the others', () => {
    for (const o of OPTIMIZERS) {
      for (const [key, r] of Object.entries(OPTION_READERS)) {
        if (!r.optimizers) continue;
        expect(optimizerReads(opt(key), o), `${o} ${key}`).toBe(r.optimizers.includes(o));
      }
      expect(optimizerReads(opt('lr'), o)).toBe(true);
      expect(optimizerReads(opt('weightDecay'), o)).toBe(true);
    }
  });

  it('sends nothing but the optimizer for an untouched form, and the server resolves it to torch\'s defaults', () => {
    for (const o of OPTIMIZERS) {
      const sent = trainOptions(options, form(o), defaults);
      expect(sent).toEqual({ optimizer: o });
      expect(configWithWarnings(sent, 2)).toEqual({ config: defaults[o], warnings: [] });
    }
  });

  it('sends the fields that differ, as text, and leaves 0.010 and empty fields to the defaults', () => {
    const sent = trainOptions(options, form('adam', { lr: ' 0.05 ', epochs: '30', beta2: '0.9990', eps: '', amsgrad: true, bias: false }), defaults);
    expect(sent).toEqual({ optimizer: 'adam', lr: '0.05', epochs: '30', amsgrad: true, bias: false });
    const { config, warnings } = configWithWarnings(sent, 2);
    expect(config).toMatchObject({ optimizer: 'adam', lr: 0.05, epochs: 30, amsgrad: true, bias: false, beta2: 0.999 });
    expect(warnings).toEqual([]);
    // Text the server should judge goes as typed: its message, not a silent default.
    expect(trainOptions(options, form('sgd', { lr: '0,05', epochs: 'ten' }), defaults)).toEqual({ optimizer: 'sgd', lr: '0,05', epochs: 'ten' });
    // nesterov is on by default for the nesterov optimizer: turning it off is a change.
    expect(trainOptions(options, form('nesterov', { nesterov: false }), defaults)).toEqual({ optimizer: 'nesterov', nesterov: false });
  });

  it('leaves out what the chosen settings do not read, so a hidden field never sends a warning', () => {
    // Values left from another optimizer or schedule: not in view, not sent.
    const v = form('adam', { momentum: '0.9', rho: '0.5', stepSize: '5', curriculumEpochs: '10', noiseGamma: '0.7', minDelta: '0.1' });
    expect(trainOptions(options, v, defaults)).toEqual({ optimizer: 'adam' });
    expect(applies(opt('stepSize'), { ...v, schedule: 'step' }, defaults.adam)).toBe(true);
    expect(applies(opt('gamma'), { ...v, schedule: 'exponential' }, defaults.adam)).toBe(true);
    expect(applies(opt('tMax'), { ...v, schedule: 'step' }, defaults.adam)).toBe(false);
    expect(applies(opt('dampening'), form('sgd'), defaults.sgd)).toBe(false);
    expect(applies(opt('dampening'), form('sgd', { momentum: '0.9' }), defaults.sgd)).toBe(true);
    expect(applies(opt('initB'), form('sgd', { bias: false }), defaults.sgd)).toBe(false);
    expect(applies(opt('curriculumEpochs'), form('sgd', { curriculum: true }), defaults.sgd)).toBe(true);
    const sent = trainOptions(options, form('sgd', { schedule: 'step', stepSize: '5', momentum: '0.9', dampening: '0.1' }), defaults);
    expect(sent).toEqual({ optimizer: 'sgd', schedule: 'step', stepSize: '5', momentum: '0.9', dampening: '0.1' });
    expect(configWithWarnings(sent, 1).warnings).toEqual([]);
  });

  it('gives a comparison the run options only, and spells the optimizers as host compare does', () => {
    const v = form('adam', { lr: '0.05', beta1: '0.8', epochs: '20', valSplit: '0.25', shuffle: true });
    expect(sharedRunOptions(options, v, defaults)).toEqual({ epochs: '20', valSplit: '0.25', shuffle: true });
    expect(optimizerList([{ name: 'sgd' }, { name: 'adam', lr: ' 0.05' }, { name: 'momentum', lr: '' }])).toBe('sgd,adam:0.05,momentum');
  });

  it('labels fields with their command-line spelling and names how a run ended', () => {
    const label = (key: string) => fieldLabel(options.find((o) => o.key === key)!);
    expect([label('weightDecay'), label('valSplit'), label('bias'), label('lr')]).toEqual(['weight-decay', 'val-split', 'bias', 'lr']);
    expect(differs('initW', '1', defaults.sgd)).toBe(false);
    expect(differs('initW', '1,0.5', defaults.sgd)).toBe(true);
    expect(['running', 'epochs', 'early_stop', 'stopped', 'diverged', undefined].map((r) => runState(r === 'running' ? { state: 'running' } : { state: 'done', reason: r }))).toEqual([
      'running',
      'done',
      'early stop',
      'stopped',
      'diverged',
      'cut off',
    ]);
  });
});
