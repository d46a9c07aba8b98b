// Every training path the board offers, on the firmware in the virtual Pico against `host run`'s
// engine on the desktop, record for record: 8 optimizers × batch 1, a mini-batch and full batch ×
// with and without bias × 1 and 2 features × standardization off and on × a validation split off
// and on (384 runs). Records cross the wire as float32 bits and are compared as the records they
// stand for, so equal records mean equal bits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFirmware } from '../../host/build/firmware.ts';
import { BoardLink } from '../../host/link/board.ts';
import { flashProgram } from '../../host/link/flash.ts';
import { openPort } from '../../host/link/port.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { OPTIMIZERS, resolveConfig, type TrainConfig } from '../../shared/config.ts';
import { datasetFromPacked } from '../../shared/dataset.ts';
import { parseRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { textRecords } from '../../shared/records.ts';
import { Trainer } from '../../shared/trainer.ts';

let pico: VirtualPico;
let link: BoardLink;

beforeAll(async () => {
  const fw = await buildFirmware({ write: false });
  pico = await startVirtualPico();
  link = new BoardLink(await openPort(pico.path));
  await flashProgram(link, new TextEncoder().encode(fw.code));
}, 120_000);

afterAll(async () => {
  await link?.close();
  await pico?.close();
});

/** 40 samples: x = i/40 (and a second feature), y roughly linear, float32. */
function data(features: number): Float32Array {
  const out: number[] = [];
  for (let i = 0; i < 40; i++) {
    const x1 = i / 40;
    const x2 = ((i * 7) % 40) / 40;
    out.push(x1);
    if (features === 2) out.push(x2);
    out.push(2 * x1 - (features === 2 ? x2 : 0) + 0.5 + ((i * 13) % 7) / 100);
  }
  return Float32Array.from(out, Math.fround);
}

/** The epoch and done records of a run. */
const trajectory = (rs: ProtocolRecord[]): ProtocolRecord[] => rs.filter((r) => r.type === 'epoch' || r.type === 'done');

function desktop(packed: Float32Array, features: number, cfg: TrainConfig): ProtocolRecord[] {
  const out: ProtocolRecord[] = [];
  new Trainer(datasetFromPacked(packed, features), cfg, textRecords((l) => out.push(parseRecord(l) as ProtocolRecord))).run();
  return trajectory(out);
}

async function board(cfg: TrainConfig): Promise<ProtocolRecord[]> {
  const out: ProtocolRecord[] = [];
  let off = (): void => {};
  const done = new Promise<void>((resolve) => {
    off = link.onRecord((r) => {
      out.push(r);
      if (r.type === 'done') resolve();
    });
  });
  await link.sendCommand({ op: 'config', config: cfg as unknown as Record<string, unknown> });
  await link.sendCommand({ op: 'start' });
  await done;
  off();
  return trajectory(out);
}

describe('every path: the firmware in the virtual Pico equals `host run`, bit for bit', () => {
  for (const features of [1, 2]) {
    it(`${features} feature${features > 1 ? 's' : ''}: 8 optimizers × 3 batch modes × bias × standardization × validation`, async () => {
      const packed = data(features);
      await link.uploadDataset(packed, features);
      let runs = 0;
      for (const optimizer of OPTIMIZERS) {
        for (const batch of [1, 8, 0]) {
          for (const bias of [true, false]) {
            for (const standardize of [false, true]) {
              for (const valSplit of [0, 0.2]) {
                const cfg = resolveConfig({ optimizer, batch, bias, standardize, valSplit, epochs: 3, lr: optimizer === 'adadelta' ? 1 : 0.05 }, features);
                const want = desktop(packed, features, cfg);
                const got = await board(cfg);
                expect(got, `${optimizer} batch ${batch} bias ${bias} standardize ${standardize} val ${valSplit}`).toEqual(want);
                runs++;
              }
            }
          }
        }
      }
      expect(runs).toBe(192);
    }, 240_000);
  }
});
