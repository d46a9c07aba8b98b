// Feeds a dashboard the way a board would: the desktop engine trains in timer slices and its
// records go to push() as they come; Pause and Resume hold the slices (as the firmware does), Stop
// acts on the engine.

import { resolveConfig, type TrainConfig } from '../../shared/config.ts';
import { parseRecord } from '../../shared/protocol.ts';
import { Trainer } from '../../shared/trainer.ts';
import { Walker, resolveWalk, type WalkConfig } from '../../shared/walks.ts';
import type { Dashboard, DashboardControl } from '../../host/web/server.ts';
import { lineDataset } from '../plot/records.ts';
import { textRecords } from '../../shared/records.ts';

interface Engine {
  work(budget: number): boolean;
  stop(): void;
}

export interface Feed extends DashboardControl {
  /** Resolves when the engine has printed its done record. */
  finished: Promise<void>;
  calls: string[];
}

/** Runs `engine` at about `rate` records per second into `sink`, in 10 ms slices. */
function feed(make: (out: (line: string) => void) => Engine, sink: (line: string) => void, rate: number): Feed {
  let emitted = 0;
  const engine = make((line) => {
    emitted++;
    sink(line);
  });
  const calls: string[] = [];
  let resolveDone: () => void;
  const finished = new Promise<void>((r) => (resolveDone = r));
  const t0 = Date.now();
  let paused = false;
  const tick = () => {
    const due = ((Date.now() - t0) / 1000) * rate;
    let more = true;
    // Bounded, so that a long run does not hold the event loop.
    if (!paused) for (let n = 0; more && emitted < due && n < 100_000; n++) more = engine.work(1);
    if (more) setTimeout(tick, 10);
    else resolveDone();
  };
  tick();
  return {
    finished,
    calls,
    pause: () => {
      calls.push('pause');
      paused = true;
    },
    resume: () => {
      calls.push('resume');
      paused = false;
    },
    stop: () => {
      calls.push('stop');
      engine.stop();
    },
  };
}

export function trainInto(dash: Pick<Dashboard, 'push'>, cfg: Partial<TrainConfig>, rate = 2000): Feed {
  const ds = lineDataset();
  return feed((out) => new Trainer(ds, resolveConfig(cfg), textRecords(out)), (l) => dash.push(parseRecord(l) ?? l), rate);
}

export function walkInto(dash: Pick<Dashboard, 'push'>, cfg: Partial<WalkConfig> & { fn: string }, rate = 200): Feed {
  return feed((out) => new Walker(resolveWalk(cfg), textRecords(out)), (l) => dash.push(l), rate);
}
