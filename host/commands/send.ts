// `npx host send FILE.csv`: validate the file as `host run` does, then upload it to the board in
// acknowledged, CRC-checked chunks with a progress bar, and check the board's count and checksum.
import type { Command } from 'commander';
import { datasetCrc } from '../../shared/wire.ts';
import { announceEnd, connectBoard } from '../board-session.ts';
import { readDataset } from '../csv.ts';
import { uploadToBoard } from '../upload.ts';

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
        await announceEnd(session, "to replace the board's data");
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
