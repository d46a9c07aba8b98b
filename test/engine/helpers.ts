import { resolveConfig, type TrainConfig } from '../../shared/config.ts';
import { datasetFromPacked } from '../../shared/dataset.ts';
import { parseRecord, type DoneRecord, type EpochRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { Trainer } from '../../shared/trainer.ts';
import { textRecords } from '../../shared/records.ts';
import { KERNELS, type KernelChoice } from '../../shared/kernels/index.ts';

/** Trains on the desktop engine and returns every record, parsed back from the printed lines. */
/** `kernels`: the kernel set (the fast one by default, as `host run` and the board use). */
export function train(packed: number[], features: number, cfg: Partial<TrainConfig>, kernels: KernelChoice = 'fast'): { records: ProtocolRecord[]; epochs: EpochRecord[]; done: DoneRecord } {
  const ds = datasetFromPacked(new Float32Array(packed), features);
  const records: ProtocolRecord[] = [];
  new Trainer(ds, resolveConfig(cfg, features), textRecords((line) => {
    const r = parseRecord(line);
    if (!r) throw new Error('unparseable record: ' + line);
    records.push(r);
  }), 'desktop', KERNELS[kernels]).run();
  const epochs = records.filter((r): r is EpochRecord => r.type === 'epoch');
  const done = records[records.length - 1] as DoneRecord;
  return { records, epochs, done };
}

/** The seeds' data: x = 1, 2, 3 and y = 2x. */
export const SEED = [1, 2, 2, 4, 3, 6];
