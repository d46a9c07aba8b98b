// `npx host send FILE.csv`: validate the file as `host run` does, then upload it to the board in
// acknowledged, CRC-checked chunks with a progress bar, and check the board's count and checksum.
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { datasetCrc } from '../../shared/wire.ts';
import { boardCapacity, connectBoard, type BoardSession } from '../board-session.ts';
import { readDataset, type CsvDataset } from '../csv.ts';
import { UserError } from '../errors.ts';

/** Uploads an already validated dataset; refuses one that does not fit the board before sending anything. */
export async function uploadToBoard(session: BoardSession, data: CsvDataset, file: string, stream = process.stderr): Promise<void> {
  const cap = boardCapacity(session.status);
  if (data.rows > cap.samples) {
    throw new UserError(`${file}: ${data.rows} rows do not fit the board's capacity of ${cap.samples} samples; use fewer rows (or train on the desktop with \`npx host run\`)`);
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

export function register(program: Command): void {
  program
    .command('send')
    .description('validate a CSV dataset and upload it to the board (last column y, the others features)')
    .argument('<file>', 'CSV file: optional header, comma, semicolon or tab separated')
    .option('-p, --port <path>', 'serial port (default: the one Pico, or the one virtual Pico)')
    .action(async (file: string, opts: { port?: string }) => {
      // All validation happens before the board is touched: a bad file sends nothing.
      const data = readDataset(file);
      const session = await connectBoard(opts);
      try {
        await uploadToBoard(session, data, file);
        const crc = datasetCrc(data.packed, data.features);
        process.stdout.write(
          `Sent ${data.rows} sample${data.rows === 1 ? '' : 's'} × ${data.features} feature${data.features === 1 ? '' : 's'} to ${session.path}; ` +
            `the board confirmed ${data.rows} samples, checksum ${crc.toString(16).padStart(8, '0')}.\n` +
            `Next: npx host train --optimizer sgd --lr 0.01 --monitor\n`,
        );
      } finally {
        await session.close();
      }
    });
}
