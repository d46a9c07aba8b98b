// Run records for the figure and dashboard tests, made by the desktop engine itself.
import { resolveConfig, type TrainConfig } from '../../shared/config.ts';
import { Dataset, datasetFromPacked } from '../../shared/dataset.ts';
import { parseRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { Trainer } from '../../shared/trainer.ts';
import { Walker, resolveWalk, type WalkConfig } from '../../shared/walks.ts';
import { textRecords } from '../../shared/records.ts';

/** y = 2x + 1 with a little deterministic wobble, 40 samples. */
export function lineDataset(n = 40): Dataset {
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = i / 10;
    rows.push(x, 2 * x + 1 + Math.sin(i * 1.7) * 0.3);
  }
  return datasetFromPacked(new Float32Array(rows), 1);
}

export function trainLines(cfg: Partial<TrainConfig>, ds = lineDataset()): string[] {
  const lines: string[] = [];
  new Trainer(ds, resolveConfig(cfg), textRecords((l) => lines.push(l))).run();
  return lines;
}

export function walkLines(cfg: Partial<WalkConfig> & { fn: string }): string[] {
  const lines: string[] = [];
  new Walker(resolveWalk(cfg), textRecords((l) => lines.push(l))).run();
  return lines;
}

export function toRecords(lines: string[]): ProtocolRecord[] {
  return lines.map((l) => parseRecord(l)).filter((r): r is ProtocolRecord => r !== null);
}
