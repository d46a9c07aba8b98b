// Sending a validated dataset to the board: refused before anything is sent when it does not fit,
// then acknowledged, CRC-checked chunks with a progress bar (send, train --data, compare).
import cliProgress from 'cli-progress';
import { boardCapacity, type BoardSession } from './board-session.ts';
import type { CsvDataset } from './csv.ts';
import { UserError } from './errors.ts';

/** Uploads an already validated dataset; refuses one that does not fit the board before sending anything. */
export async function uploadToBoard(session: BoardSession, data: CsvDataset, file: string, stream = process.stderr): Promise<void> {
  const cap = boardCapacity(session.status);
  if (data.rows > cap.samples) {
    // An Espruino board's capacity is what its free memory held when the firmware started (its hello).
    const why = /^espruino/.test(session.status.runtime ?? '') ? " (what this Espruino board's free memory held when its firmware started)" : '';
    throw new UserError(`${file}: ${data.rows} rows do not fit the board's capacity of ${cap.samples} samples${why}; use fewer rows (or train on the desktop with \`npx host run\`)`);
  }
  if (data.features > cap.features) throw new UserError(`${file}: ${data.features} features, the board takes at most ${cap.features}`);
  const bar = new cliProgress.SingleBar(
    { format: 'sending {bar} {percentage}% | {value}/{total} samples', stream, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(data.rows, 0);
  try {
    await session.link.uploadDataset(data.packed, data.features, (p) => bar.update(p.sentSamples));
  } finally {
    bar.stop();
  }
}
