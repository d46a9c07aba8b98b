// How a parallel run's records leave its runner: one sink for the simulated cluster, the threads
// and (later) the boards' server. Text lines in the protocol's form (protocol.ts, version 3):
//   start   the training config, plus `parallel` (the algorithm's settings) and source cluster/threads
//   epoch   the global parameters (server, or EASGD's center) and their full training loss, once per
//           epoch-equivalent (N sample-updates over all workers), with the server version and time
//   worker  each worker's own copy and its loss on its shard, right after each epoch record
//   update  every update the server applied, with its staleness (the cluster; threads summarize)
//   worker_state  a worker that left the run or came back (boards)
//   done    the end, with the run's counts (messages, pushes, fetches, updates, lost, time_us, …)
import { formatDone, formatEpoch, formatUpdate, formatWorker, type DoneReason, type StartRecord } from '../protocol.ts';

export interface ParallelSink {
  start(r: StartRecord): void;
  /** `p` in data units: w = p[0..f), b = p[f]; `valLoss` NaN: no validation split. */
  epoch(epoch: number, p: Float32Array, f: number, loss: number, valLoss: number, lr: number, version: number, timeUs: number): void;
  worker(epoch: number, worker: number, p: Float32Array, f: number, loss: number, samples: number, updates: number): void;
  /** `lost` < 0, `backlog`/`elastic` NaN: not this algorithm's. */
  update(worker: number, t: number, read: number, version: number, lost: number, backlog: number, elastic: number): void;
  done(reason: DoneReason, epoch: number, p: Float32Array, f: number, loss: number, message: string, counts: Record<string, number>): void;
  /** A worker left the run or came back (boards): `message` says why. */
  state(worker: number, t: number, state: 'gone' | 'back', message: string): void;
}

/** Records as text lines, float32 values as their shortest decimals. */
export function textParallelRecords(out: (line: string) => void): ParallelSink {
  return {
    start: (r) => out(JSON.stringify(r)),
    epoch(e, p, f, loss, val, lr, version, t) {
      const s = formatEpoch(e, p, f, p[f], loss, val, lr);
      out(s.slice(0, -1) + ',"version":' + version + ',"time_us":' + t + '}');
    },
    worker: (e, k, p, f, loss, samples, updates) => out(formatWorker(e, k, p, f, p[f], loss, samples, updates)),
    update: (k, t, read, version, lost, backlog, elastic) => out(formatUpdate(k, t, read, version, lost, backlog, elastic)),
    state: (worker, t, state, message) => out(JSON.stringify({ type: 'worker_state', worker, t, state, message })),
    done(reason, e, p, f, loss, message, counts) {
      const s = formatDone(reason, e, p, f, p[f], loss, -1, message);
      out(s.slice(0, -1) + ',"counts":' + JSON.stringify(counts) + '}');
    },
  };
}
