// Boards as workers in rounds, with this computer as the parameter server (`sync`, and any
// algorithm with `--round N`; without it Downpour, Hogwild, AdaRevision and EASGD boards work in
// the firmware's worker role, stream.ts). The host deals the training data into shards (shared/parallel/setup.ts, as the
// simulated cluster does), sends each board its shard with the acknowledged upload, and then, for
// every board on its own, runs rounds: the board trains `round` epochs of SGD on its shard from the
// parameters it was given (an ordinary run of its firmware: config with --init-w/--init-b, start,
// its records to its own file), and the parameters it ends with are its push. The server applies
// the push with the same rules as the simulated cluster and answers with the parameters the board
// starts its next round from. No board waits for another, except in `sync`.
//   downpour  push: the replica's progress Δ = θ_start − θ_end, i.e. its accrued gradient A = Δ/α
//             (α: its local lr); server: θ ← rule(θ, A) (server-optimizer.ts); answer: θ
//   easgd     push: its x; server: d = α(x − x̃), x̃ ← x̃ + d (easgd.ts); answer: x − d
//   sync      a round is one full-batch step on each shard (g_k = (θ − θ_k)/lr); at the barrier the
//             server combines them weighted by shard size (sync.ts) and applies its rule; answer: θ
// Every applied push is an update record (its staleness: the updates applied since the board's
// round began), and every N sample-updates over all boards an epoch record of the global
// parameters with each board's own (EpochRecorder), as on the simulated cluster.
// A board's firmware restarts its run each round (its optimizer state and the loss pass of epoch 0
// with it); in the worker role it trains one run and pushes while it trains.
import { basename, dirname, extname, join } from 'node:path';
import type { TrainConfig } from '../../shared/config.ts';
import { centerAdd, elasticMove } from '../../shared/parallel/easgd.ts';
import type { ParallelConfig } from '../../shared/parallel/options.ts';
import type { ParallelSink } from '../../shared/parallel/records.ts';
import type { ServerRule } from '../../shared/parallel/server-optimizer.ts';
import { combineSums } from '../../shared/parallel/sync.ts';
import type { DoneRecord, ProtocolRecord } from '../../shared/protocol.ts';
import type { BoardSession } from '../board-session.ts';
import type { CsvDataset } from '../csv.ts';
import { UserError } from '../errors.ts';
import { runOnBoard } from '../jobs.ts';
import { uploadToBoard } from '../upload.ts';
import { RunFile } from '../monitor/run-file.ts';
import { BoardServer, boardShards } from './server-run.ts';
import type { StreamWorker } from './stream.ts';

/**
 * A worker of a board run: a board on this computer, or one on another laptop reached over MQTT.
 * It takes its shard once, then trains rounds: a run of its firmware with the given settings, whose
 * records go to `file`; it answers with that run's done record.
 */
export interface RoundWorker {
  /** For messages: "/dev/ttyACM0", "student-3:/dev/ttyACM0". */
  name: string;
  upload(shard: CsvDataset, label: string): Promise<void>;
  round(config: TrainConfig, file: string): Promise<DoneRecord>;
  /** Ends a round in progress (Ctrl-C, the end of the run). */
  stop(): Promise<void>;
  /** The run is over: files closed. */
  close(): void;
}

/** A late joiner: a board on another laptop, which can work in rounds or in its worker role (stream.ts). */
export type LateWorker = RoundWorker & StreamWorker;

/** The worker's board restarted (reset or power loss): its shard and its round are gone, not the board. */
export class RestartedError extends UserError {}

/** A board on this computer as a RoundWorker: its rounds' records go, one after another, to its file. */
export function localBoard(session: BoardSession): RoundWorker {
  let out: RunFile | null = null;
  // A reboot between two rounds is heard here; one during a round ends that round (runOnBoard).
  let restarted = false;
  session.link.onRecord((r) => {
    if (r.type === 'hello') restarted = true;
  });
  return {
    name: session.path,
    upload: (shard, label) => uploadToBoard(session, shard, label),
    async round(config, file) {
      if (out === null || out.path !== file) {
        out?.close();
        out = new RunFile(file);
      }
      const fail = (): never => {
        restarted = false;
        throw new RestartedError(`${session.path} restarted (reset or power loss): its shard and its round are gone`);
      };
      if (restarted) fail();
      let recs: ProtocolRecord[];
      try {
        recs = await runOnBoard(session, { kind: 'train', config }, null, [(r) => (out as RunFile).append(r)]);
      } catch (err) {
        if (restarted || /restarted/.test((err as Error).message)) fail();
        throw err;
      }
      const end = recs.find((r): r is DoneRecord => r.type === 'done');
      if (!end) throw new UserError(`${session.path} ended its round without a done record`);
      return end;
    },
    stop: () => session.link.sendCommand({ op: 'stop' }).then(() => undefined),
    close() {
      out?.close();
    },
  };
}

export interface BoardRun {
  workers: RoundWorker[];
  data: CsvDataset;
  config: TrainConfig;
  parallel: ParallelConfig;
  /** Local epochs a board trains between two exchanges with the server. */
  round: number;
  /** The server's run file: each board's records go beside it, one file per board. */
  out: string;
  /** One line for the person watching (a board lost, the end). */
  say(text: string): void;
  /**
   * Late joiners (boards on other laptops, over MQTT): called once the run is going with `seat`,
   * which puts a worker in the place of one that is gone (that place's shard; it starts from the
   * current parameters) and resolves with the place's index, or null when none is free or the run is over.
   */
  admit?(seat: (worker: LateWorker) => Promise<number | null>): void;
}

export const BOARD_ALGORITHMS = ['downpour', 'easgd', 'sync'] as const;

/** What a board trains between exchanges: plain SGD at the local rate `localLr`, from `start` (θ: w…, b), `epochs` epochs. */
export function boardConfig(cfg: TrainConfig, localLr: number, start: Float32Array, f: number, epochs: number): TrainConfig {
  return { ...cfg, optimizer: 'sgd', momentum: 0, nesterov: false, lr: localLr, epochs, initW: Array.from(start.subarray(0, f)), initB: cfg.bias ? start[f] : 0 };
}

/** The file of board k's own records, beside the server's: run.ndjson → run-board1.ndjson. */
export function boardFile(out: string, k: number): string {
  const ext = extname(out);
  return join(dirname(out), `${basename(out, ext)}-board${k + 1}${ext || '.ndjson'}`);
}

/** Parameters (w…, b) of a board's done record, or of the initW/initB a round starts from. */
export function paramsOfDone(d: { w: readonly number[]; b: number }, f: number): Float32Array {
  const p = new Float32Array(f + 1);
  for (let j = 0; j < f; j++) p[j] = d.w[j];
  p[f] = d.b;
  return p;
}

/** What the server keeps and reads when it applies a push (its θ or EASGD's center, and its rule). */
export interface PushServer {
  server: Float32Array;
  rule: ServerRule;
  lr: number;
  /** Downpour: the replicas' own step size (the push's progress is α·A). EASGD: the elastic step. */
  localLr: number;
  elastic: number;
  np: number;
}

/** Downpour's push: the replica's progress from `from` to `end` as its accrued gradient A = (from − end)/α, and θ ← rule(θ, A). */
export function downpourPush(s: PushServer, from: Float32Array, end: Float32Array): void {
  const a = new Float64Array(s.server.length);
  for (let j = 0; j < s.np; j++) a[j] = (from[j] - end[j]) / s.localLr;
  s.rule.apply(s.server, a, s.lr);
}

/** EASGD's exchange for a board at x = `end`: d = α(x − x̃) into `d`, x̃ ← x̃ + d, and x − d into `next` (elasticMove). Returns ‖d‖. */
export function elasticPush(s: PushServer, end: Float32Array, d: Float64Array, next: Float32Array): number {
  next.set(end);
  elasticMove(next, end, s.server, s.elastic, s.np, d);
  return centerAdd(s.server, d, s.np);
}

/**
 * One board's round pushed: `from` is where its round started (updated to where its next round
 * starts), `end` where it ended. Downpour: θ ← rule(θ, (from − end)/α), next from θ. EASGD:
 * d = α(end − x̃), x̃ ← x̃ + d, next from end − d. Returns ‖d‖ for EASGD (NaN otherwise).
 */
export function applyPush(alg: string, s: PushServer, from: Float32Array, end: Float32Array): number {
  if (alg === 'downpour') {
    downpourPush(s, from, end);
    from.set(s.server);
    return NaN;
  }
  return elasticPush(s, end, new Float64Array(s.server.length), from);
}

/**
 * A sync round applied: every live board made one full-batch step from θ (`ends[k]`, null for a
 * board that is gone); its gradient g_k = (θ − θ_k)/lr as its shard's sums n_k·g_k/2 (linear.ts's
 * batchGradient inverted), combined by shard size as sync.ts combines them, then the rule.
 */
export function applySyncRound(s: PushServer, ends: (Float32Array | null)[], live: number[], sums: Float64Array[], total: Float64Array, g: Float64Array): void {
  for (let k = 0; k < ends.length; k++) {
    sums[k].fill(0);
    const e = ends[k];
    if (e === null) continue;
    for (let j = 0; j < s.np; j++) sums[k][j] = ((s.server[j] - e[j]) / s.lr) * (live[k] / 2);
  }
  combineSums(sums, live, s.server.length - 1, total, g);
  s.rule.apply(s.server, g, s.lr);
}

export async function runOnBoardsAsWorkers(run: BoardRun, sink: ParallelSink): Promise<{ reason: DoneRecord['reason']; counts: Record<string, number> }> {
  const { config: cfg, parallel: par } = run;
  // workers[k]: who holds place k now (a late joiner may take the place of a worker that is gone).
  const workers = run.workers.slice();
  const alg = par.algorithm;
  if ((BOARD_ALGORITHMS as readonly string[]).indexOf(alg) < 0) {
    throw new UserError(`--algorithm ${alg}: boards train ${BOARD_ALGORITHMS.join(', ')} in rounds (--round); ${alg} runs on boards in their worker role (leave out --round), or simulated (leave out --port and --boards)`);
  }
  const { setup, shards: shardData } = boardShards(run.data, cfg, par);
  const { f, shards } = setup;
  const p = workers.length;

  // Every shard goes to its board first: a board that cannot take its shard stops the run before it starts.
  for (let k = 0; k < p; k++) await workers[k].upload(shardData[k], `shard ${k + 1} (${workers[k].name})`);

  const S = new BoardServer(setup, cfg, par, sink, workers.map((s) => s.name), { round: run.round }, run.say);
  const { server, local, samples, alive, counts, push } = S;

  /** One round on board k from `start`: its end parameters (data units = θ: no standardization here). */
  const round = async (k: number, start: Float32Array, epochs: number, batch: number): Promise<Float32Array> => {
    const c: TrainConfig = { ...boardConfig(cfg, push.localLr, start, f, epochs), batch, seed: (cfg.seed + counts.rounds) >>> 0 };
    counts.rounds++;
    const end = await workers[k].round(c, boardFile(run.out, k));
    if (end.loss === null || end.reason === 'diverged') throw new UserError(`board ${k + 1} (${workers[k].name}) diverged in its round${end.message ? `: ${end.message}` : ''}`);
    samples[k] += shards[k].length * epochs;
    return paramsOfDone(end, f);
  };
  const lose = (k: number, err: unknown) => S.lose(k, workers[k].name, err);

  const onSigint = () => {
    S.finish('stopped', 'stopped by Ctrl-C');
    for (const s of workers) s.stop().catch(() => undefined);
  };

  /** Downpour, EASGD: place k's rounds, each pushed as it ends, until the run ends or its board is gone. */
  const serve = async (k: number): Promise<void> => {
    while (!S.finished && alive[k]) {
      const read = S.version;
      let end: Float32Array;
      try {
        end = await round(k, local[k], run.round, cfg.batch);
      } catch (err) {
        if (!(err instanceof RestartedError) || S.finished) {
          lose(k, err);
          return;
        }
        // A board that restarted is given its shard again and the current parameters, and rejoins.
        try {
          await workers[k].upload(shardData[k], `shard ${k + 1} (${workers[k].name}), again`);
        } catch (again) {
          lose(k, again);
          return;
        }
        counts.rejoined++;
        S.back(k, `board ${k + 1} (${workers[k].name}) restarted: it has its shard again and starts from the current parameters`);
        continue;
      }
      if (S.finished) return;
      const elastic = applyPush(alg, push, local[k], end);
      counts.fetches++;
      S.applied(k, read, elastic);
      S.progress(shards[k].length * run.round);
    }
  };
  const loops: Promise<void>[] = [];

  const taking = new Array<boolean>(p).fill(false);
  const seat = async (w: RoundWorker): Promise<number | null> => {
    const k = alive.findIndex((a, i) => !a && !taking[i]);
    if (S.finished || k < 0) return null;
    taking[k] = true;
    try {
      await w.upload(shardData[k], `shard ${k + 1} (${w.name})`);
    } finally {
      taking[k] = false;
    }
    if (S.finished || alive[k]) return null;
    workers[k].close();
    workers[k] = w;
    S.joinedLate++;
    S.back(k, `${w.name} takes the place of board ${k + 1}: its shard, from the current parameters`);
    if (alg !== 'sync') loops.push(serve(k));
    return k;
  };

  process.on('SIGINT', onSigint);
  run.admit?.(seat);
  try {
    if (alg === 'sync') {
      // Rounds at a barrier: one full-batch step on every shard, combined as sync.ts combines sums.
      const sums = workers.map(() => new Float64Array(f + 1));
      const n = shards.map((s) => s.length);
      const total = new Float64Array(f + 1);
      const g = new Float64Array(f + 1);
      while (!S.finished) {
        const read = S.version;
        const ends = await Promise.all(workers.map((_, k) => (alive[k] ? round(k, server, 1, 0).catch((err) => (lose(k, err), null)) : Promise.resolve(null))));
        if (S.finished) break;
        for (let k = 0; k < p; k++) if (ends[k] !== null) local[k].set(ends[k] as Float32Array);
        const live = n.map((m, k) => (ends[k] === null ? 0 : m));
        if (live.every((m) => m === 0)) break;
        applySyncRound(push, ends, live, sums, total, g);
        // One version for the round: every board's share of it is an update record of that version.
        let first = true;
        for (let k = 0; k < p; k++) {
          if (ends[k] === null) continue;
          S.applied(k, read, NaN, !first);
          first = false;
        }
        counts.fetches += live.filter((m) => m > 0).length;
        S.progress(live.reduce((a, b) => a + b, 0));
      }
    } else {
      for (let k = 0; k < p; k++) loops.push(serve(k));
      for (let i = 0; i < loops.length; i++) await loops[i];
    }
  } finally {
    process.off('SIGINT', onSigint);
    for (const w of workers) w.close();
  }
  return S.end();
}
