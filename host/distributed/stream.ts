// Boards as workers in the firmware's worker role: each board trains its shard without a pause
// (plain SGD at the local rate, in its time slices) and prints a push record every `push` training
// samples (Trainer.pushEvery): its parameters, where in its run it took them (the sample-visit
// `at`) and the training samples so far. The server applies each push as it arrives and answers
// with a `params` command, which the board takes between two slices while it keeps training, and
// acknowledges with the sample-visit it took it at. Fetch and push are asynchronous to the board's
// compute, as in the papers; no board ever waits for another.
// What a push does and what the board is answered: worker-rules.ts (Downpour, Hogwild, AdaRevision,
// EASGD). The board pushes once more as it takes an answer (the θ it replaces), so that what it
// learnt while the answer was on its way reaches the server too.
// A board has one push unanswered at most: a push falls due while it waits is left for the next
// due point (Trainer.waiting), so a board never runs ahead of its link.
// A push's update record reads the version of the last answer the board took. The board's records
// (pushes, the acks of the answers, its own epochs) go to its file beside the server's: replay.ts
// trains every board again on the desktop from those positions and must meet every push bit for bit.
import type { TrainConfig } from '../../shared/config.ts';
import type { ParallelConfig } from '../../shared/parallel/options.ts';
import type { ParallelSink } from '../../shared/parallel/records.ts';
import type { AckRecord, DoneRecord, ProtocolRecord, PushRecord } from '../../shared/protocol.ts';
import { base64Encode, type Command } from '../../shared/wire.ts';
import type { BoardSession } from '../board-session.ts';
import type { CsvDataset } from '../csv.ts';
import { UserError } from '../errors.ts';
import { isRunRecord, RunFile } from '../monitor/run-file.ts';
import { uploadToBoard } from '../upload.ts';
import { boardConfig, boardFile, paramsOfDone, type LateWorker } from './boards.ts';
import { awaitReplug, serialOf } from './replug.ts';
import { BoardServer, boardShards } from './server-run.ts';
import { applyWorkerPush, startSlot, takeAnswer, waitsForAnswer, WORKER_ALGORITHMS, workerRefusal, workerRules, type WorkerAnswer, type WorkerSlot } from './worker-rules.ts';


/** Local epochs a worker board is given: more than any run lasts, the server stops it. */
export const WORKER_EPOCHS = 1_000_000;

/**
 * A worker board of a stream run: a board on this computer (localStreamWorker), or one on another
 * laptop reached over MQTT (mqtt/teacher.ts RemoteWorker).
 */
export interface StreamWorker {
  /** For messages: "/dev/ttyACM0", "alice:/dev/ttyACM0". */
  readonly name: string;
  upload(shard: CsvDataset, label: string): Promise<void>;
  /** A command to the board: its ack, or the board's error (or the worker gone) as a rejection. */
  command(cmd: Command): Promise<AckRecord>;
  /** The board's records in the order it printed them (acks of params commands among them). */
  onRecord(cb: (r: ProtocolRecord) => void): () => void;
  /** The board is gone: unplugged, or its laptop left. */
  onGone(cb: (err: Error) => void): () => void;
  /** A board of this computer, once gone: waits for it to be plugged back in (until `over()`), and is it again, or null. */
  comeBack?(over: () => boolean): Promise<StreamWorker | null>;
  close(): void;
}

/** A board on this computer as a StreamWorker; `owned`: its session is the worker's to close (one opened when it came back). */
export function localStreamWorker(session: BoardSession, owned = false): StreamWorker {
  const { link } = session;
  // Its serial number, looked up while it is here: what finds it again once it is plugged back in.
  const serial = serialOf(session.path).catch(() => undefined);
  return {
    name: session.path,
    upload: (shard, label) => uploadToBoard(session, shard, label),
    command: (cmd) => link.sendCommand(cmd),
    onRecord: (cb) => link.onRecord(cb),
    onGone: (cb) => link.onClosed(() => cb(new Error(`lost the board on ${session.path} during the run (unplugged or reset?)`))),
    async comeBack(over) {
      const again = await awaitReplug(session.path, await serial, over);
      return again ? localStreamWorker(again, true) : null;
    },
    close() {
      if (owned) void session.close().catch(() => undefined);
    },
  };
}

export interface StreamRun {
  workers: StreamWorker[];
  data: CsvDataset;
  config: TrainConfig;
  parallel: ParallelConfig;
  /** The server's run file: each board's records go beside it (boardFile). */
  out: string;
  say(text: string): void;
  /**
   * Late joiners (boards on other laptops): called once the run is going with `seat`, which puts a
   * worker in the place of one that is gone (its shard; it starts from the current parameters) and
   * resolves with the place's index, or null when none is free or the run is over.
   */
  admit?(seat: (worker: LateWorker) => Promise<number | null>): void;
}

/** Training samples between two pushes: the algorithm's period in steps (n_push, τ; 1 for Hogwild and AdaRevision) times a step's batch (a full batch: the shard). */
export function pushSamples(par: ParallelConfig, cfg: TrainConfig, shardRows: number): number {
  const steps = par.algorithm === 'downpour' ? par.pushEvery : par.algorithm === 'easgd' ? par.period : 1;
  return steps * (cfg.batch > 0 ? Math.min(cfg.batch, shardRows) : shardRows);
}


/** An answer as the params command carries it: base64 of float64 values, little-endian. */
export function paramsBits(values: Float64Array): string {
  return base64Encode(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

interface Worker {
  board: StreamWorker;
  file: RunFile;
  push: number;
  /** Its base (and AdaRevision's ḡ_old): worker-rules.ts. */
  slot: WorkerSlot;
  /** The version of the last answer it took (or of the parameters it started from). */
  read: number;
  /** Training samples of its run at its last push. */
  trained: number;
  /** Answers sent and not yet acknowledged, in order. */
  pending: WorkerAnswer[];
  lastAck: number;
  restarting: boolean;
  /** Its run's done record arrived. */
  ended: boolean;
  onEnded: (() => void) | null;
  off: (() => void)[];
}

export async function runOnBoardsStreaming(run: StreamRun, sink: ParallelSink): Promise<{ reason: DoneRecord['reason']; counts: Record<string, number> }> {
  const { config: cfg, parallel: par } = run;
  const alg = par.algorithm;
  if ((WORKER_ALGORITHMS as readonly string[]).indexOf(alg) < 0) throw new UserError(`--algorithm ${alg}: the boards' worker role runs ${WORKER_ALGORITHMS.join(', ')}; sync trains in rounds`);
  const refusal = workerRefusal(par);
  if (refusal) throw new UserError(refusal);
  const { setup, shards } = boardShards(run.data, cfg, par);
  const { f } = setup;
  const names = run.workers.map((w) => w.name);
  for (let k = 0; k < run.workers.length; k++) await run.workers[k].upload(shards[k], `shard ${k + 1} (${names[k]})`);

  const pushes = shards.map((s) => pushSamples(par, cfg, s.rows));
  const S = new BoardServer(setup, cfg, par, sink, names, { push: pushes }, run.say);
  const rules = workerRules(alg, S.push, par.revision);
  let wake = () => {};
  const over = new Promise<void>((resolve) => (wake = resolve));
  const check = () => {
    if (S.finished) wake();
  };
  const lose = (k: number, err: unknown) => {
    S.lose(k, names[k], err);
    check();
  };

  const workers: Worker[] = run.workers.map((board, k) => ({
    board,
    file: new RunFile(boardFile(run.out, k)),
    push: pushes[k],
    slot: { base: setup.theta0.slice(), gbar: null },
    read: 0,
    trained: 0,
    pending: [],
    lastAck: -1,
    restarting: false,
    ended: false,
    onEnded: null,
    off: [],
  }));

  /** Board k starts its worker run from the current parameters. */
  const begin = async (k: number): Promise<void> => {
    const w = workers[k];
    startSlot(rules, w.slot);
    S.local[k].set(S.server);
    w.read = S.version;
    w.trained = 0;
    w.pending = [];
    w.ended = false;
    // Plain SGD at the local rate from the server's parameters, until the server stops it.
    await w.board.command({ op: 'config', config: boardConfig(cfg, S.push.localLr, S.server, f, WORKER_EPOCHS) as unknown as Record<string, unknown> });
    // A negative push period: the board waits for each answer (waitsForAnswer).
    await w.board.command({ op: 'start', push: waitsForAnswer(alg) ? -w.push : w.push });
  };

  const answer = (k: number, a: WorkerAnswer) => {
    const w = workers[k];
    w.pending.push(a);
    w.board.command({ op: 'params', bits: paramsBits(a.values), sub: a.theta === null }).catch((err: unknown) => {
      // An answer to a board that restarted meanwhile is void; one the run no longer needs too.
      if (!S.finished && !w.restarting && S.alive[k]) lose(k, err);
    });
  };

  const pushed = (k: number, r: PushRecord) => {
    const w = workers[k];
    if (S.finished || !S.alive[k] || w.restarting) return;
    // A push while an answer is on its way is the board's θ just before it takes the answer (Trainer.setParams).
    const landing = w.pending.length > 0;
    const end = paramsOfDone(r, f);
    const n = r.trained - w.trained;
    w.trained = r.trained;
    S.local[k].set(end);
    S.samples[k] += n;
    const out = applyWorkerPush(rules, w.slot, end, landing, S.version + 1);
    if (out.update) S.applied(k, w.read, out.elastic, false, out.backlog);
    S.progress(n);
    if (out.answer && !S.finished) answer(k, out.answer);
    check();
  };

  const landed = (k: number, r: AckRecord) => {
    const w = workers[k];
    // A resent command's answer comes twice: it was taken once.
    if (r.seq === w.lastAck) return;
    w.lastAck = r.seq;
    const a = w.pending.shift();
    if (!a) return;
    S.counts.fetches++;
    w.read = a.version;
    takeAnswer(w.slot, a);
  };

  const restarted = (k: number) => {
    const w = workers[k];
    if (S.finished || !S.alive[k] || w.restarting) return;
    w.restarting = true;
    w.pending = [];
    void (async () => {
      try {
        await w.board.upload(shards[k], `shard ${k + 1} (${names[k]}), again`);
        if (S.finished) return;
        S.counts.rejoined++;
        S.back(k, `board ${k + 1} (${names[k]}) restarted: it has its shard again and starts from the current parameters`);
        w.restarting = false;
        await begin(k);
      } catch (err) {
        w.restarting = false;
        lose(k, err);
      }
    })();
  };

  /** Board k's records to its file and to the server; its loss to the run. */
  const listen = (k: number) => {
    const w = workers[k];
    w.off.push(
      w.board.onRecord((r: ProtocolRecord) => {
        // A board the server counts as gone is not heard: what reached it after (a vanished
        // student's last messages) is neither applied nor in its place's file.
        if (!S.alive[k]) return;
        if (r.type === 'ack') {
          if (r.op === 'params') {
            w.file.append(r);
            landed(k, r);
          }
          return;
        }
        if (!isRunRecord(r)) return;
        w.file.append(r);
        if (r.type === 'push') pushed(k, r);
        else if (r.type === 'hello') restarted(k);
        else if (r.type === 'done') {
          w.ended = true;
          w.onEnded?.();
          if (!S.finished && !w.restarting) lose(k, new Error(`its run ended (${r.reason}${r.message ? `: ${r.message}` : ''})`));
        }
      }),
      w.board.onGone((err) => {
        w.ended = true;
        w.onEnded?.();
        if (S.finished) return;
        lose(k, err);
        // A board of this computer may be plugged back in: then it takes its place again.
        const board = w.board;
        if (board.comeBack) {
          void board.comeBack(() => S.finished).then((back) => {
            if (back === null) return;
            return seat(back, k).then((placed) => {
              if (placed === null) back.close();
            });
          });
        }
      }),
    );
  };
  for (let k = 0; k < workers.length; k++) listen(k);

  // A late joiner takes the place of a board that is gone: that place's shard and file, from the current parameters.
  const taking = new Array<boolean>(workers.length).fill(false);
  const seat = async (board: StreamWorker, place?: number): Promise<number | null> => {
    // A board plugged back in takes its own place; a late joiner the first that is free.
    const k = place ?? S.alive.findIndex((a, i) => !a && !taking[i]);
    if (S.finished || k < 0 || S.alive[k] || taking[k]) return null;
    taking[k] = true;
    try {
      await board.upload(shards[k], `shard ${k + 1} (${board.name})`);
    } finally {
      taking[k] = false;
    }
    if (S.finished || S.alive[k]) return null;
    const w = workers[k];
    for (const off of w.off) off();
    w.off = [];
    w.board.close();
    w.board = board;
    w.restarting = false;
    w.lastAck = -1;
    names[k] = board.name;
    listen(k);
    if (place === undefined) {
      S.joinedLate++;
      S.back(k, `${board.name} takes the place of board ${k + 1}: its shard, from the current parameters`);
    } else {
      S.counts.rejoined++;
      S.back(k, `board ${k + 1} (${board.name}) is plugged back in: it has its shard again and starts from the current parameters`);
    }
    await begin(k).catch((err: unknown) => lose(k, err));
    return k;
  };

  const onSigint = () => {
    S.finish('stopped', 'stopped by Ctrl-C');
    check();
  };
  process.on('SIGINT', onSigint);
  run.admit?.((board) => seat(board));
  try {
    await Promise.all(workers.map((_, k) => begin(k).catch((err: unknown) => lose(k, err))));
    check();
    await over;
    // Every board still training is stopped, and its done record waited for: its file is complete.
    await Promise.all(
      workers.map(async (w, k) => {
        if (!S.alive[k] || w.ended) return;
        const ended = new Promise<void>((resolve) => {
          w.onEnded = resolve;
          setTimeout(resolve, 10_000).unref();
        });
        await w.board.command({ op: 'stop' }).catch(() => undefined);
        await ended;
      }),
    );
  } finally {
    process.off('SIGINT', onSigint);
    for (const w of workers) {
      for (const off of w.off) off();
      w.file.close();
      w.board.close();
    }
  }
  return S.end();
}
