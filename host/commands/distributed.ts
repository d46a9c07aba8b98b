// `host distributed`: parallel and distributed SGD on the desktop. The workers are simulated (a
// deterministic cluster of Picos on USB: the same seed gives the same run, bit for bit), or real
// threads with --threads (hogwild, sync). Everything is checked before anything runs.
import { closeSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { optionName } from '../../shared/config.ts';
import { parseRecord, type DoneRecord } from '../../shared/protocol.ts';
import { ALGORITHMS } from '../../shared/parallel/options.ts';
import { UserError } from '../errors.ts';
import { defaultFormat, FORMATS, RecordFormatter, type OutputFormat } from '../format.ts';
import { createView } from '../monitor/view.ts';
import { addParallelOptions, resolveParallelRun } from '../parallel/cli-options.ts';
import { GENERATORS, parallelData, runParallel } from '../parallel/run.ts';
import { openRunFile } from '../run-file.ts';
import { connectBoard, type BoardSession } from '../board-session.ts';
import { collectPorts } from '../compare-common.ts';
import { boardFile, localBoard, type RoundWorker } from '../distributed/boards.ts';
import { WORKER_ALGORITHMS } from '../distributed/worker-rules.ts';
import { localStreamWorker } from '../distributed/stream.ts';
import type { RemoteWorker } from '../distributed/mqtt/teacher.ts';
import { networkOptions, workersToWaitFor } from '../distributed/mqtt/options.ts';
import { listPorts } from '../link/port.ts';
import { defaultRunPath } from '../monitor/run-file.ts';
import { autoFigure } from '../plot/figures.ts';
import { RunCollector } from '../plot/runs.ts';
import { writeFigure } from '../plot/files.ts';
import { addWebOptions, webSinks } from '../web/sinks.ts';
import type { MonitorCliOptions } from '../monitor/options.ts';

interface DistributedOptions extends Record<string, unknown> {
  algorithm?: string;
  data?: string;
  generate?: string;
  samples?: string;
  threads?: string;
  cas?: boolean;
  format?: OutputFormat;
  out?: string;
  figure?: string;
  workers?: string;
  port?: string[];
  boards?: string;
  round?: string;
  listen?: boolean;
  host?: string;
  mqttPort?: string;
  broker?: string;
  join?: string;
  web?: boolean;
}

/** The boards of a board run: --port (repeated) or --boards all; none for a simulated run. */
async function boardPorts(o: DistributedOptions): Promise<string[]> {
  if (o.boards !== undefined) {
    if (o.boards !== 'all') throw new UserError(`--boards ${o.boards}: say --boards all (every Pico and virtual Pico found), or name them with --port`);
    if (o.port) throw new UserError('--boards all: leave out --port (or name the boards with --port alone)');
    const found = (await listPorts()).filter((p) => p.pico || p.sim).map((p) => p.path);
    if (found.length === 0) throw new UserError('--boards all: no Pico and no virtual Pico found (`npx host ports` lists the ports; `npx host sim` starts a virtual Pico)');
    return found;
  }
  return o.port ?? [];
}

/** Options of the simulated cluster, which mean nothing with real boards. */
const SIMULATOR_ONLY = ['computeUs', 'latencyUs', 'jitterUs', 'serviceUs', 'rmwUs'];

function threadCount(o: DistributedOptions): number | undefined {
  if (o.threads === undefined) {
    if (o.cas) throw new UserError('--cas: goes with --threads');
    return undefined;
  }
  const n = Number(o.threads);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UserError(`--threads: expected a whole number from 1 to 64, got ${o.threads}`);
  if (o.algorithm !== 'hogwild' && o.algorithm !== 'sync') throw new UserError(`--threads: runs hogwild or sync, not ${o.algorithm}; leave --threads out to simulate ${o.algorithm}`);
  if (o.workers !== undefined && Number(o.workers) !== n) throw new UserError(`--workers ${o.workers} and --threads ${n}: with threads each thread is a worker; give one of them`);
  return n;
}

export function register(program: Command): void {
  const cmd = program
    .command('distributed')
    .summary('parallel SGD: sync, Downpour, Hogwild!, AdaRevision, EASGD on simulated workers or threads')
    .description(
      'Trains y = w·x + b with several workers and a parameter server: a deterministic simulated cluster\n' +
        '(compute time per sample, link latency and jitter; by default Picos on USB), or real threads\n' +
        '(--threads, hogwild and sync). Prints the global parameters and loss once per epoch-equivalent\n' +
        '(N sample-updates over all workers), with each worker\'s loss and the staleness of the updates.',
    )
    .addOption(new Option('--algorithm <name>', 'the parallel algorithm (required, except with --join)').choices(ALGORITHMS))
    .option('--data <file.csv>', 'the dataset (as host run)')
    .addOption(new Option('--generate <kind>', 'a generated noiseless set of 8 features instead of --data: dense, or sparse (1–2 non-zero features a sample)').choices(GENERATORS))
    .option('--samples <n>', 'samples of the generated set (default 10000)')
    .option('--threads <n>', 'run the workers on n real threads (hogwild, sync) instead of simulating them')
    .option('--cas', 'threads, hogwild: atomic adds by compare-and-swap (the paper\'s model) instead of plain stores')
    .addOption(new Option('--format <format>', 'output: text, ndjson (records), csv (default: text on a terminal, ndjson when piped)').choices(FORMATS))
    .option('--out <run.ndjson>', 'also write the records to this run file')
    .option('--figure <file>', 'draw the run (global loss over the workers\', staleness) to FILE.svg or .png')
    .option('-p, --port <path>', 'a board as a worker (repeat for each board): the boards train, this computer is the server', collectPorts)
    .option('--boards <all>', 'every Pico and virtual Pico found as the workers')
    .option('--round <epochs>', 'boards: train in rounds of this many local epochs between two exchanges with the server (sync always does, 1 by default); without it Downpour, Hogwild, AdaRevision and EASGD boards push while they train')
    .option('--no-plot', 'on a terminal: one text line per epoch-equivalent instead of the live plot (with a line per board)')
    .option('--listen', 'boards on other laptops join this run over MQTT (a broker embedded here; --workers N: how many workers in all to wait for)')
    .option('--host <address>', 'the address the embedded broker (--listen) and the live page (--web) listen on (default 127.0.0.1: this computer only; 0.0.0.0 for the class)')
    .option('--mqtt-port <port>', '--listen: the embedded broker\'s port (default 1883)')
    .option('--broker <mqtt://host:port>', 'use this MQTT broker (Mosquitto, …) instead of embedding one; implies --listen')
    .option('--join <mqtt://host:port>', 'a student\'s laptop: this computer\'s boards (--port) become workers of the teacher\'s run');
  addParallelOptions(cmd);
  // --host is declared above: one address for the embedded broker and the page.
  addWebOptions(cmd, { host: false });
  cmd.action(async (o: DistributedOptions) => {
    if (o.web && o.join !== undefined) throw new UserError('--web: the teacher\'s host shows the run; leave it out with --join');
    // Without --listen, --host is the page's alone.
    const net = networkOptions(o.web && !o.listen ? { ...o, host: undefined } : o);
    if (net.mode === 'join') {
      const { joinRun } = await import('../distributed/mqtt/student.ts');
      const ports = await boardPorts(o);
      if (ports.length === 0) throw new UserError('--join: name this laptop\'s boards with --port (repeat it for each), or --boards all');
      return joinRun({ url: net.url, ports, say: (t) => process.stderr.write(`${t}\n`) });
    }
    if (o.algorithm === undefined) throw new UserError('--algorithm is required: sync, downpour, hogwild, adarevision or easgd (a student\'s laptop joins a run with --join instead)');
    const algorithm = o.algorithm;
    const listening = net.mode === 'listen';
    const threads = threadCount(o);
    if (o.figure !== undefined && !/\.(svg|png)$/i.test(o.figure)) throw new UserError(`--figure ${o.figure}: give a file name ending in .svg or .png`);
    const { data, name } = parallelData(o);
    const ports = await boardPorts(o);
    // --listen: every worker counts, the boards here and those that join (null: until Enter).
    const want = listening ? workersToWaitFor(o.workers, ports.length) : null;
    if (ports.length > 0 || listening) {
      if (threads !== undefined) throw new UserError('--threads: leave it out with boards: the boards are the workers');
      const given = SIMULATOR_ONLY.find((k) => o[k] !== undefined);
      if (given) throw new UserError(`--${optionName(given)}: a setting of the simulated cluster; with boards the real ones count`);
      if (!listening && o.workers !== undefined && Number(o.workers) !== ports.length) throw new UserError(`--workers ${o.workers}: with boards there is one worker per board (${ports.length} here); leave --workers out`);
    } else if (o.round !== undefined) {
      throw new UserError('--round: goes with boards (--port or --boards all)');
    }
    const round = o.round === undefined ? 1 : Number(o.round);
    if (!Number.isInteger(round) || round < 1 || round > 1e6) throw new UserError(`--round ${o.round}: give a whole number of epochs from 1`);
    const workers = threads !== undefined ? String(threads) : listening ? String(want ?? Math.max(ports.length, 1)) : ports.length > 0 ? String(ports.length) : o.workers;
    let { config, parallel } = resolveParallelRun({ ...o, workers }, algorithm, data.features, data.rows);
    const out = o.out ?? (ports.length > 0 || listening ? defaultRunPath(`distributed-${algorithm}`) : undefined);
    // The network comes first (a port in use, a broker that does not answer), then the boards,
    // opened only once everything else is checked; each becomes its own hub, so that a monitor can
    // still watch one of them.
    const web = await webSinks(o as MonitorCliOptions, [], `pico-trainer · ${algorithm} on ${ports.length > 0 || listening ? 'boards' : threads !== undefined ? `${threads} threads` : 'the simulated cluster'}`);
    // How to join, and who joined: in the terminal and on the page.
    const tell = (t: string) => {
      process.stderr.write(`${t}\n`);
      web.say(t);
    };
    const room = net.mode === 'listen' ? await (await import('../distributed/mqtt/teacher.ts')).openClassroom(net, algorithm, tell).catch(async (err: unknown) => (await web.close(), Promise.reject(err))) : null;
    const sessions: BoardSession[] = [];
    let gathered: RoundWorker[] | null = null;
    try {
      for (const port of ports) sessions.push(await connectBoard({ port, hub: 'host distributed' }));
      if (room) {
        const all = await room.gather(sessions.map(localBoard), want);
        ({ config, parallel } = resolveParallelRun({ ...o, workers: String(all.length) }, algorithm, data.features, data.rows));
        gathered = all;
      }
    } catch (err) {
      await web.close();
      await room?.close('stopped', (err as Error).message);
      await Promise.all(sessions.map((s) => s.close()));
      throw err;
    }
    const format = o.format ?? defaultFormat(process.stdout);
    const formatter = new RecordFormatter(format);
    // On a terminal the text is a live plot of the global loss, with a line per board under it.
    const live = format === 'text' && process.stdout.isTTY === true && o.plot !== false ? createView({ log: !!o.log, plot: true, stream: process.stdout, title: `pico-trainer distributed · ${algorithm}` }) : null;
    const fd = out === undefined ? -1 : openRunFile(out);
    // The figure's runs are collected as records arrive: a run of millions of updates keeps only counts.
    const collector = new RunCollector(basename(name));
    let done: DoneRecord | null = null;
    let pending = '';
    const flush = () => {
      if (pending) process.stdout.write(pending);
      pending = '';
    };
    let result;
    try {
      const say = (t: string) => {
        if (live) live.message(t);
        else process.stderr.write(`${t}\n`);
        web.say(t);
      };
      // Boards, here and on other laptops, train Downpour, Hogwild, AdaRevision and EASGD in their
      // worker role (pushing while they train), unless --round asks for rounds; sync trains rounds.
      const streaming = o.round === undefined && (WORKER_ALGORITHMS as readonly string[]).includes(algorithm);
      // Gathered: this computer's boards first, then those of the students (Classroom.gather).
      const stream = !streaming ? undefined : gathered ? [...sessions.map((s) => localStreamWorker(s)), ...(gathered.slice(sessions.length) as RemoteWorker[])] : sessions.map((s) => localStreamWorker(s));
      const boards = gathered ? { workers: gathered, round, out: out as string, say, admit: room?.admit.bind(room), stream } : sessions.length > 0 ? { workers: stream ? [] : sessions.map(localBoard), round, out: out as string, say, stream } : undefined;
      result = await runParallel({ data, config, parallel, threads, cas: o.cas, boards }, (line) => {
        if (fd >= 0) writeSync(fd, line + '\n');
        const r = parseRecord(line);
        if (r !== null && o.figure !== undefined) collector.add(r);
        if (r !== null && r.type === 'done') done = r;
        if (r !== null) for (const sink of web.sinks) sink(r);
        if (live) {
          if (r !== null) live.update(r);
          return;
        }
        for (const out of formatter.line(line)) pending += out + '\n';
        if (pending.length >= 65536) flush();
      });
      for (const out of formatter.flush()) pending += out + '\n';
    } catch (err) {
      await web.close();
      throw err;
    } finally {
      live?.close();
      flush();
      if (fd >= 0) closeSync(fd);
      const end = done as DoneRecord | null;
      await room?.close(end?.reason ?? 'stopped', end?.message ?? '');
      await Promise.all(sessions.map((s) => s.close()));
    }
    if (sessions.length > 0 || room) process.stderr.write(`server records in ${out}; each board's own beside it (${basename(boardFile(out as string, 0))}, …)\n`);
    if (threads !== undefined && result.updatesPerSecond !== undefined) {
      process.stderr.write(`${threads} thread${threads === 1 ? '' : 's'}: ${Math.round(result.updatesPerSecond).toLocaleString('en-US')} updates/s\n`);
    }
    if (o.figure !== undefined) {
      const figure = autoFigure(collector.plottable(), {});
      await writeFigure(figure.svg, o.figure, o.figure.toLowerCase().endsWith('.png') ? 2 : 1);
      process.stderr.write(`host distributed: wrote ${o.figure}\n`);
    }
    const final = done as DoneRecord | null;
    if (final !== null && final.reason === 'diverged') process.exitCode = 2;
    // The page stays up for the class until Ctrl-C.
    await web.hold();
    await web.close();
  });
}
