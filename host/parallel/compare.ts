// `host compare --algorithms sync,downpour,adarevision,easgd --workers 4 --data FILE.csv`: the
// parallel chapter's comparison. Every algorithm runs on the same simulated cluster and data, each
// with the options that belong to it; their global curves are overlaid, with the staleness of
// each, and a table gives the numbers. Everything is checked before the first run starts.
import { basename } from 'node:path';
import { alignColumns } from '../text-table.ts';
import { formatF32, parseRecord, type DoneRecord, type ProtocolRecord, type UpdateRecord } from '../../shared/protocol.ts';
import { ALGORITHMS, type Algorithm } from '../../shared/parallel/options.ts';
import { comparisonPaths } from '../compare-common.ts';
import { readDataset } from '../csv.ts';
import { UserError } from '../errors.ts';
import { RunFile } from '../monitor/run-file.ts';
import { figureFromRecords } from '../plot/figures.ts';
import { writeFigure } from '../plot/files.ts';
import { optionsFor, resolveParallelRun } from './cli-options.ts';
import { runParallel } from './run.ts';

export interface AlgorithmChoice {
  algorithm: Algorithm;
  /** Its own learning rate (`downpour:0.3`), as text for --lr; else undefined. */
  lr?: string;
  label: string;
}

/** "sync,downpour:0.3" → choices; names checked, each at most once. */
export function parseAlgorithms(raw: string): AlgorithmChoice[] {
  const seen = new Set<string>();
  return raw.split(',').map((part) => {
    const [name, lr, extra] = part.trim().split(':');
    if (ALGORITHMS.indexOf(name as Algorithm) < 0) throw new UserError(`--algorithms: unknown algorithm "${name}"; choose from ${ALGORITHMS.join(', ')} (optionally name:lr, e.g. downpour:0.3)`);
    if (extra !== undefined) throw new UserError(`--algorithms: "${part}" has more than one ":"; write name or name:lr`);
    if (seen.has(part.trim())) throw new UserError(`--algorithms: ${part.trim()} is listed twice`);
    seen.add(part.trim());
    return { algorithm: name as Algorithm, lr, label: part.trim() };
  });
}

function table(names: string[], results: ProtocolRecord[][]): string {
  const rows = results.map((recs, i) => {
    const done = recs.find((r): r is DoneRecord => r.type === 'done');
    let n = 0;
    let sum = 0;
    let max = 0;
    for (const r of recs) {
      if (r.type !== 'update') continue;
      const s = (r as UpdateRecord).staleness;
      n++;
      sum += s;
      if (s > max) max = s;
    }
    const c = done?.counts ?? {};
    const ms = c.time_us !== undefined ? (c.time_us / 1000).toFixed(1) : '';
    return [names[i], done ? String(done.epoch) : '?', done?.loss != null ? formatF32(done.loss) : '—', String(c.updates ?? ''), n ? `${(sum / n).toFixed(1)} / ${max}` : '', String(c.messages ?? ''), ms, done ? done.reason : 'no done record'];
  });
  const head = ['algorithm', 'epochs', 'final loss', 'updates', 'staleness avg / max', 'messages', 'sim ms', 'ended'];
  return alignColumns([head, ...rows]).join('\n');
}

export async function compareAlgorithms(list: string, opts: { data?: string; runs?: string; figure?: string; log?: boolean } & Record<string, unknown>): Promise<void> {
  const choices = parseAlgorithms(list);
  const algorithms = choices.map((c) => c.algorithm);
  const names = choices.map((c) => c.label);
  if (opts.data === undefined) throw new UserError('--data is required: the CSV file to train on');
  const data = readDataset(opts.data);
  const runs = choices.map((c) => {
    const o = optionsFor(opts, c.algorithm, algorithms);
    if (c.lr !== undefined) o.lr = c.lr;
    return { algorithm: c.label, ...resolveParallelRun(o, c.algorithm, data.features, data.rows) };
  });
  const { dir, files, figure } = comparisonPaths('compare-parallel', names, opts);
  const results: ProtocolRecord[][] = [];
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i];
    process.stderr.write(`${r.algorithm}: ${r.parallel.workers} workers…\n`);
    const file = new RunFile(files[i]);
    const records: ProtocolRecord[] = [];
    try {
      await runParallel({ data, config: r.config, parallel: r.parallel }, (line) => {
        const rec = parseRecord(line);
        if (rec === null) return;
        records.push(rec);
        file.append(rec);
      });
    } finally {
      file.close();
    }
    results.push(records);
  }
  const fig = figureFromRecords(results, names, { labels: names, log: !!opts.log, title: `${basename(opts.data)}: parallel SGD, ${runs[0].parallel.workers} workers` });
  await writeFigure(fig.svg, figure, figure.endsWith('.png') ? 2 : 1);
  process.stdout.write(`${table(names, results)}\n\nrun files in ${dir}/, figure ${figure}\n`);
}
