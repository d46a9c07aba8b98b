// The engine's static memory: the bytes of every typed array that a Dataset, a Trainer and its
// optimizer state hold, found by walking the objects' own properties (private fields included, as
// they are ordinary properties at run time). Views that share one ArrayBuffer are counted once
// (the Trainer's theta is its params unless it standardizes). Object headers, strings and the
// config object are not counted: on the board they are a few hundred bytes beside the arrays.
import type { TrainConfig } from '../../shared/config.ts';
import { Dataset, packedRows, appendPacked } from '../../shared/dataset.ts';
import { Trainer } from '../../shared/trainer.ts';
import { syntheticDataset } from './data.ts';
import { jobConfig } from './engine.ts';
import { textRecords } from '../../shared/records.ts';

export interface ArrayItem {
  /** Where it hangs: owner.property[.property…]. */
  path: string;
  type: string;
  length: number;
  bytes: number;
}

export interface MemoryReport {
  label: string;
  items: ArrayItem[];
  total: number;
  /** Totals per owner (dataset, trainer, optimizer). */
  byOwner: Record<string, number>;
}

function isTyped(v: unknown): v is ArrayBufferView & { length: number; constructor: { name: string } } {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/**
 * Every typed array reachable from `root` through own properties, skipping `exclude` (objects
 * counted under another owner) and anything already visited or already counted.
 */
export function typedArraysOf(root: object, name: string, exclude: Set<object>, seenObjects: Set<object>, seenBuffers: Set<ArrayBufferLike>): ArrayItem[] {
  const out: ArrayItem[] = [];
  const walk = (obj: object, path: string): void => {
    if (seenObjects.has(obj) || exclude.has(obj)) return;
    seenObjects.add(obj);
    for (const key of Object.getOwnPropertyNames(obj)) {
      const v = (obj as Record<string, unknown>)[key];
      if (isTyped(v)) {
        if (seenBuffers.has(v.buffer)) continue;
        seenBuffers.add(v.buffer);
        out.push({ path: `${path}.${key}`, type: v.constructor.name, length: v.length, bytes: v.byteLength });
      } else if (typeof v === 'object' && v !== null && !(v instanceof ArrayBuffer)) {
        walk(v, `${path}.${key}`);
      }
    }
  };
  walk(root, name);
  return out;
}

/** Dataset + Trainer + optimizer state for one dataset and config; owners are reported separately. */
export function engineMemory(label: string, ds: Dataset, cfg: TrainConfig): MemoryReport {
  const trainer = new Trainer(ds, cfg, textRecords(() => undefined));
  const optState = (trainer as unknown as { st: { opt: object } }).st.opt;
  const seenObjects = new Set<object>();
  const seenBuffers = new Set<ArrayBufferLike>();
  // Config and dataset are not the trainer's own; the optimizer state is counted under its own name.
  const exclude = new Set<object>([ds, cfg as object, optState]);
  const dsItems = typedArraysOf(ds, 'dataset', new Set(), seenObjects, seenBuffers);
  const optItems = typedArraysOf(optState, 'optimizer', new Set(), seenObjects, seenBuffers);
  const trItems = typedArraysOf(trainer, 'trainer', exclude, seenObjects, seenBuffers);
  const items = [...dsItems, ...trItems, ...optItems];
  const sum = (a: ArrayItem[]): number => a.reduce((s, i) => s + i.bytes, 0);
  return {
    label,
    items,
    total: sum(items),
    byOwner: { dataset: sum(dsItems), trainer: sum(trItems), optimizer: sum(optItems) },
  };
}

export const MEMORY_SAMPLES = 1024;
export const MEMORY_FEATURES = 2;

/** The two figures: the desktop (a dataset sized to the data) and the board (its fixed 1,024 × 8 store). */
export function memoryReports(): MemoryReport[] {
  const adam = (ds: Dataset): TrainConfig => jobConfig({ batch: 0, lr: 0.001 }, 10, ds.features, { optimizer: 'adam', lr: 0.001 });
  const desktop = syntheticDataset(MEMORY_SAMPLES, MEMORY_FEATURES);
  const board = new Dataset(1024, 8);
  board.reset(MEMORY_FEATURES);
  const packed = packedRows(desktop);
  appendPacked(board, packed, 0, packed.length);
  return [
    engineMemory(`desktop: Dataset sized ${MEMORY_SAMPLES} × ${MEMORY_FEATURES}, Trainer, Adam`, desktop, adam(desktop)),
    engineMemory(`board: Dataset(1024, 8) holding ${MEMORY_SAMPLES} × ${MEMORY_FEATURES}, Trainer, Adam`, board, adam(board)),
  ];
}
