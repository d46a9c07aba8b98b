import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config.ts';
import { formatDone, formatEpoch, type StartRecord } from '../../shared/protocol.ts';
import { defaultFormat, RecordFormatter } from '../../host/format.ts';

function start(patch: Partial<StartRecord['config']> = {}, val = 0): string {
  const record: StartRecord = { type: 'start', protocol: 1, source: 'desktop', config: { ...defaultConfig('sgd'), ...patch }, samples: 3, features: 1, train: 3 - val, val };
  return JSON.stringify(record);
}

function render(format: 'text' | 'csv' | 'ndjson', lines: string[]): string[] {
  const f = new RecordFormatter(format);
  return lines.flatMap((l) => f.line(l));
}

const epoch0 = formatEpoch(0, [1], 1, 0, 4.6666665, NaN, 0.01);
const epoch1 = formatEpoch(1, [1.0933334], 1, 0, 3.8362072, NaN, 0.01);

describe('text', () => {
  it("prints the seed scripts' lines for a model without bias", () => {
    const out = render('text', [start({ bias: false }), epoch0, epoch1, formatDone('epochs', 1, [1.0933334], 1, 0, 3.8362072, -1, '')]);
    expect(out[0]).toBe('Training on 3 samples × 1 feature: sgd, lr 0.01, full batch, 100 epochs, no bias (desktop)');
    expect(out[1]).toBe('Epoch: 0 W= 1 Loss= 4.6666665');
    expect(out[2]).toBe('Epoch: 1 W= 1.0933334 Loss= 3.8362072');
    expect(out[3]).toBe('Done: 1 epoch. W= 1.0933334 Loss= 3.8362072');
  });

  it('adds B= with a bias, lists several weights, adds Val= and LR= when they say something', () => {
    const out = render('text', [start({ schedule: 'step' }, 1), formatEpoch(3, [1.5, -0.25], 2, 0.5, 0.125, 0.25, 0.001)]);
    expect(out[0]).toContain('(2 train, 1 validation)');
    expect(out[1]).toBe('Epoch: 3 W= [1.5, -0.25] B= 0.5 Loss= 0.125 Val= 0.25 LR= 0.001');
  });

  it('says why a run ended', () => {
    const early = formatDone('early_stop', 40, [2], 1, 0, 0.5, 30, '');
    expect(render('text', [start({ patience: 10 }), early])[1]).toBe(
      'Done: stopped early at epoch 40 (no improvement for 10 epochs; parameters restored from the best epoch, 30). W= 2 B= 0 Loss= 0.5',
    );
    const diverged = formatDone('diverged', 3, [863], 1, 379, NaN, -1, 'the learning rate 1 is too high; try --lr 0.1 or smaller');
    expect(render('text', [start(), diverged])[1]).toBe('Diverged at epoch 3: the learning rate 1 is too high; try --lr 0.1 or smaller.');
    expect(render('text', [start(), formatDone('stopped', 7, [2], 1, 1, 0.5, -1, '')])[1]).toBe('Stopped at epoch 7. W= 2 B= 1 Loss= 0.5');
  });

  it('renders walks, board records and errors; leaves out acks and non-records', () => {
    const out = render('text', [
      '{"type":"walk","protocol":1,"source":"board","fn":"bowl","optimizer":"sgd","lr":0.1,"start":[2,2],"steps":50}',
      '{"type":"step","step":1,"x":[1.6,1.6],"f":5.12}',
      '{"type":"ack","seq":3,"op":"start"}',
      '{"type":"error","code":"bad_config","message":"--lr: 0 is out of range"}',
      '> undefined',
    ]);
    expect(out).toEqual([
      'Walk: bowl with sgd, lr 0.1, 50 steps from [2, 2] (board)',
      'Step: 1 X= [1.6, 1.6] F= 5.12',
      'Error (bad_config): --lr: 0 is out of range',
    ]);
  });
});

describe('csv', () => {
  it('prints a header, then one row per epoch; val_loss stays empty without a split', () => {
    const out = render('csv', [start(), epoch0, formatEpoch(1, [1.5, 2], 2, 0.25, 0.5, 0.75, 0.01), formatDone('epochs', 1, [1], 1, 0, 1, -1, '')]);
    expect(out).toEqual(['epoch,w1,b,loss,val_loss,lr', '0,1,0,4.6666665,,0.01', 'epoch,w1,w2,b,loss,val_loss,lr', '1,1.5,2,0.25,0.5,0.75,0.01']);
  });

  it('gives walks their own columns', () => {
    expect(render('csv', ['{"type":"step","step":0,"x":[2],"f":13}'])).toEqual(['step,x1,f', '0,2,13']);
  });
});

describe('ndjson', () => {
  it('passes record lines through unchanged, dropping echo and noise, stripping ANSI framing', () => {
    expect(render('ndjson', [epoch0, '>', `\u001b[0m${epoch1}\r`])).toEqual([epoch0, epoch1]);
  });
});

describe('defaultFormat', () => {
  it('is text on a terminal and ndjson in a pipe', () => {
    expect(defaultFormat({ isTTY: true })).toBe('text');
    expect(defaultFormat({ isTTY: false })).toBe('ndjson');
    expect(defaultFormat({})).toBe('ndjson');
  });
});
