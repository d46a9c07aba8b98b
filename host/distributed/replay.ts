// A board run replayed on the desktop, in the order the server applied its pushes: every round a
// board trained is trained again by the desktop engine from the same settings (its start record),
// and must end at the very same parameters; every push is applied again with the same server code
// (applyPush, applySyncRound). The server's parameters must come out bit for bit as the run's done
// record says: what the boards computed, and what the server made of it, owe nothing to timing
// except the order, which the run file records. A round a board never finished (it was reset or
// unplugged) has no done record and is passed over; a board that came back starts from the
// server's parameters at the moment the run file says it did.
// A run of boards in their worker role (stream.ts) is replayed the same way, by sample-visits: each
// board's run is trained again by the desktop Trainer with the same push period; the server's
// answers are taken at the sample-visits the board's acks name; every push it makes must equal the
// board's, bit for bit, and the pushes the server applied are applied again in the server's order.
import type { TrainConfig } from '../../shared/config.ts';
import { datasetFromPacked, packedRows, type Dataset } from '../../shared/dataset.ts';
import { PARALLEL_DEFAULTS, type ParallelConfig } from '../../shared/parallel/options.ts';
import { prepare, type ParallelSetup } from '../../shared/parallel/setup.ts';
import { formatF32, parseRecord, type DoneRecord, type ProtocolRecord, type PushRecord, type StartRecord, type UpdateRecord } from '../../shared/protocol.ts';
import { textRecords } from '../../shared/records.ts';
import { Trainer } from '../../shared/trainer.ts';
import type { CsvDataset } from '../csv.ts';
import { applyPush, applySyncRound, paramsOfDone, type PushServer } from './boards.ts';
import { newPushServer } from './server-run.ts';
import { applyWorkerPush, startSlot, takeAnswer, waitsForAnswer, workerRules, type WorkerAnswer, type WorkerSlot } from './worker-rules.ts';

interface Round {
  start: StartRecord;
  done: DoneRecord;
}

export interface Replay {
  /** The server's parameters after the last push, in data units (w…, b). */
  server: Float32Array;
  /** Rounds trained again on the desktop, and those whose end differed from the board's. */
  rounds: number;
  mismatches: string[];
}

function roundsOf(records: ProtocolRecord[]): Round[] {
  const out: Round[] = [];
  let start: StartRecord | null = null;
  for (const r of records) {
    if (r.type === 'start') start = r;
    else if (r.type === 'done' && start) {
      out.push({ start, done: r });
      start = null;
    }
  }
  return out;
}

/** The done record the desktop engine ends a round with. */
function trainAgain(shard: Float32Array, f: number, start: StartRecord): DoneRecord {
  let done: DoneRecord | null = null;
  new Trainer(datasetFromPacked(shard, f), start.config, textRecords((line) => {
    const r = parseRecord(line);
    if (r && r.type === 'done') done = r;
  })).run();
  return done as unknown as DoneRecord;
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a, formatF32).join() === Array.from(b, formatF32).join();

/** The run as its start record says: its settings, the shards dealt again, and the server before any push. */
function runOf(server: ProtocolRecord[], data: CsvDataset): { start: StartRecord; cfg: TrainConfig; par: ParallelConfig; ds: Dataset; setup: ParallelSetup; f: number; s: PushServer } {
  const start = server[0] as StartRecord;
  const cfg = start.config;
  const par = { ...PARALLEL_DEFAULTS, ...(start.parallel as Partial<ParallelConfig>) } as ParallelConfig;
  const ds = datasetFromPacked(data.packed, data.features);
  const setup = prepare(ds, cfg, par);
  return { start, cfg, par, ds, setup, f: setup.f, s: newPushServer(setup, cfg, par) };
}

export function replayBoardRun(server: ProtocolRecord[], boards: ProtocolRecord[][], data: CsvDataset): Replay {
  const { start, par, ds, setup, f, s } = runOf(server, data);
  if (Array.isArray((start.parallel as { push?: unknown } | undefined)?.push)) return replayStreamRun(server, boards, data);
  const shards = setup.shards.map((rows) => packedRows(ds, rows));
  const rounds = boards.map(roundsOf);
  const next = rounds.map(() => 0);
  const mismatches: string[] = [];
  let trained = 0;

  /** Board k's next round, trained again: its end parameters (checked against the board's). */
  const take = (k: number, from: Float32Array): Float32Array => {
    const r = rounds[k][next[k]++];
    if (!r) throw new Error(`board ${k + 1} has no round for its push ${next[k]}`);
    const sent = paramsOfDone({ w: r.start.config.initW, b: r.start.config.initB }, f);
    if (!same(sent, from)) mismatches.push(`board ${k + 1} round ${next[k]}: started from ${Array.from(sent)} where the replay has ${Array.from(from)}`);
    const again = trainAgain(shards[k], f, r.start);
    trained++;
    const end = paramsOfDone(r.done, f);
    const desktop = paramsOfDone(again, f);
    if (!same(desktop, end) || formatF32(again.loss ?? NaN) !== formatF32(r.done.loss ?? NaN)) {
      mismatches.push(`board ${k + 1} round ${next[k]}: the board ended at ${Array.from(end)}, the desktop engine at ${Array.from(desktop)}`);
    }
    return end;
  };

  const from = shards.map(() => setup.theta0.slice());
  const updates = server.filter((r): r is UpdateRecord => r.type === 'update');
  if (par.algorithm === 'sync') {
    const n = setup.shards.map((x) => x.length);
    const sums = n.map(() => new Float64Array(f + 1));
    const total = new Float64Array(f + 1);
    const g = new Float64Array(f + 1);
    for (let i = 0; i < updates.length; ) {
      const v = updates[i].version;
      const ends: (Float32Array | null)[] = n.map(() => null);
      for (; i < updates.length && updates[i].version === v; i++) ends[updates[i].worker] = take(updates[i].worker, s.server);
      applySyncRound(s, ends, n.map((m, k) => (ends[k] === null ? 0 : m)), sums, total, g);
    }
  } else {
    // In the server's order: a board that came back (restarted, or a late board in a lost one's
    // place) was given the server's parameters of that moment, and its next round starts there.
    for (const r of server) {
      if (r.type === 'worker_state' && r.state === 'back') from[r.worker] = s.server.slice();
      else if (r.type === 'update') applyPush(par.algorithm, s, from[r.worker], take(r.worker, from[r.worker]));
    }
  }
  return { server: s.server, rounds: trained, mismatches };
}

/** A worker-role run (stream.ts) replayed: see the header. `rounds` counts the pushes met again. */
function replayStreamRun(server: ProtocolRecord[], boards: ProtocolRecord[][], data: CsvDataset): Replay {
  const { start, par, ds, setup, f, s: ps } = runOf(server, data);
  const pushEvery = (start.parallel as unknown as { push: number[] }).push;
  const shards = setup.shards.map((rows) => datasetFromPacked(packedRows(ds, rows), f));
  const alg = par.algorithm;
  const rules = workerRules(alg, ps, par.revision);
  const mismatches: string[] = [];
  let met = 0;
  const p = boards.length;
  const next = new Array<number>(p).fill(0);
  const trainers: (Trainer | null)[] = new Array<Trainer | null>(p).fill(null);
  const made: (PushRecord | null)[] = new Array<PushRecord | null>(p).fill(null);
  const answers: WorkerAnswer[][] = boards.map(() => []);
  const slots: WorkerSlot[] = boards.map(() => ({ base: setup.theta0.slice(), gbar: null }));
  /** Where a board starts when it (re)starts: the server's parameters then. */
  const from = boards.map(() => setup.theta0.slice());
  for (const slot of slots) startSlot(rules, slot);
  /** Acks already taken: their answer was taken with the landing push just before them. */
  const taken = new Array<number>(p).fill(0);

  /** Board k's desktop run, from `r` (its start record), pushing as the board's does. */
  const begin = (k: number, r: StartRecord) => {
    const sent = paramsOfDone({ w: r.config.initW, b: r.config.initB }, f);
    if (!same(sent, from[k])) mismatches.push(`board ${k + 1}: started from ${Array.from(sent)} where the replay has ${Array.from(from[k])}`);
    const t = new Trainer(shards[k], r.config, textRecords((line) => {
      const x = parseRecord(line);
      if (x && x.type === 'push') made[k] = x;
    }));
    t.pushEvery = t.pushAt = pushEvery[k];
    t.hold = waitsForAnswer(alg);
    trainers[k] = t;
    answers[k] = [];
  };

  /**
   * Board k's records up to its next push, met again on the desktop: that push, and for a landing
   * push (one made as it took an answer: the θ the answer replaces) that answer.
   */
  const push = (k: number): { r: PushRecord; answer: WorkerAnswer | null } => {
    const recs = boards[k];
    while (next[k] < recs.length) {
      const r = recs[next[k]++];
      if (r.type === 'hello') trainers[k] = null;
      else if (r.type === 'start') begin(k, r);
      else if (r.type === 'ack' && r.op === 'params') {
        if (taken[k] > 0) taken[k]--;
        else mismatches.push(`board ${k + 1}: an answer taken at ${r.at} without the push that goes with it`);
      } else if (r.type === 'push') {
        const t = trainers[k];
        if (!t) throw new Error(`board ${k + 1} pushed outside a run`);
        made[k] = null;
        t.work(r.at - t.visits);
        let a: WorkerAnswer | null = null;
        if (answers[k].length > 0) {
          // The board was waiting: this push is the one it made as it took the answer.
          a = answers[k].shift() as WorkerAnswer;
          t.setParams(a.values, a.theta === null);
          taken[k]++;
        }
        const mine = made[k] as PushRecord | null;
        met++;
        if (!mine || mine.at !== r.at || mine.trained !== r.trained || !same([...mine.w, mine.b], [...r.w, r.b])) {
          mismatches.push(`board ${k + 1} push at ${r.at}: the board had ${JSON.stringify([...r.w, r.b])}, the desktop engine ${mine ? JSON.stringify([...mine.w, mine.b]) : 'no push there'}`);
        }
        return { r, answer: a };
      }
    }
    throw new Error(`board ${k + 1} has no push left for the server's update`);
  };

  // The server's order: each update is the board's next push that is one (worker-rules.ts).
  for (const r of server) {
    if (r.type === 'worker_state' && r.state === 'back') {
      // Answers on their way to its old run never landed. (An ack of its old run may still be
      // ahead in its file: the landing push before it was read already.)
      from[r.worker].set(ps.server);
      startSlot(rules, slots[r.worker]);
      answers[r.worker] = [];
    } else if (r.type === 'update') {
      const k = r.worker;
      for (;;) {
        const x = push(k);
        const out = applyWorkerPush(rules, slots[k], paramsOfDone(x.r, f), x.answer !== null, r.version);
        if (x.answer) takeAnswer(slots[k], x.answer);
        if (out.answer) answers[k].push(out.answer);
        if (out.update) break;
      }
    }
  }
  return { server: ps.server, rounds: met, mismatches };
}
