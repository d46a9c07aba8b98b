// A quiet watcher for `host serve`: one line when a run starts or ends and for each notice, every
// run's records in its own file (beginning with its start record), until Ctrl-C or the board goes.
import type { ProtocolRecord } from '../../shared/protocol.ts';
import { formatF32 } from '../../shared/protocol.ts';
import { runInProgress, type BoardSession } from '../board-session.ts';
import { defaultRunPath, isRunRecord, RunFile } from './run-file.ts';
import { startFromStatus } from './run-monitor.ts';
import { join } from 'node:path';
import type { RunHistory } from './history.ts';

export async function runLog(session: BoardSession, o: { dir: string; sinks: ((r: ProtocolRecord) => void)[]; stream: NodeJS.WritableStream; history?: RunHistory }): Promise<void> {
  const { link } = session;
  let file: RunFile | null = null;
  const say = (s: string) => o.stream.write(`${new Date().toLocaleTimeString('en-GB')}  ${s}\n`);
  const open = (r: ProtocolRecord, label: string) => {
    file?.close();
    file = new RunFile(join(o.dir, defaultRunPath(label).replace(/^runs\//, '')), { unique: true });
  };
  const take = (r: ProtocolRecord) => {
    if (r.type === 'start' || r.type === 'walk') o.history?.opened(r, (file as unknown as RunFile).path);
    else o.history?.record(r);
    (file as RunFile | null)?.append(r);
    for (const s of o.sinks) s(r);
  };
  if (runInProgress(session.status)) {
    const start = startFromStatus(session.status);
    if (start) {
      open(start, `${start.config.optimizer}-run${start.run ?? 'x'}`);
      take(start);
      say(`joined run ${start.run ?? '?'} (${start.config.optimizer}) at epoch ${session.status.epoch} → ${(file as unknown as RunFile).path}`);
    }
  }
  await new Promise<void>((resolve) => {
    const offRecord = link.onRecord((r) => {
      if (!isRunRecord(r) || r.type === 'hello') {
        if (r.type === 'hello') {
          say('the board restarted (reset or power loss)');
          o.history?.lost();
        }
        return;
      }
      if (r.type === 'start') {
        open(r, `${r.config.optimizer}-run${r.run ?? 'x'}`);
        take(r);
        say(`run ${r.run ?? '?'} started: ${r.config.optimizer}, lr ${formatF32(r.config.lr)}, ${r.config.epochs} epochs → ${(file as unknown as RunFile).path}`);
        return;
      }
      if (r.type === 'walk') {
        open(r, `walk-${r.optimizer}`);
        take(r);
        say(`walk started: ${r.fn}, ${r.optimizer} → ${(file as unknown as RunFile).path}`);
        return;
      }
      if (file === null) return;
      take(r);
      if (r.type === 'done') {
        say(`run ended at epoch ${r.epoch} (${r.reason}${r.loss !== null ? `, loss ${formatF32(r.loss)}` : ''}); ${(file as RunFile).count} records in ${(file as RunFile).path}`);
        (file as RunFile).close();
        file = null;
      }
    });
    const offNotice = link.onNotice?.((t) => say(t)) ?? (() => undefined);
    const finish = () => {
      offRecord();
      offNotice();
      offClosed();
      process.off('SIGINT', finish);
      (file as RunFile | null)?.close();
      resolve();
    };
    const offClosed = link.onClosed(() => {
      say(`lost the board on ${session.path} (unplugged or reset?); the files hold every record received`);
      o.history?.lost();
      finish();
    });
    process.on('SIGINT', finish);
  });
}
