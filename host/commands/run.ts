// `host run`: train on the desktop with the same engine the board runs, and print the records.
// Everything the user gave is checked before the first epoch: options, data, output file.
import { Option, type Command } from 'commander';
import { DESKTOP_CAPACITY } from '../csv.ts';
import { runCommand, type RunOptions } from '../desktop-run.ts';
import { FORMATS } from '../format.ts';
import { addTrainOptions } from '../options.ts';

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .summary('train on the desktop and print the records')
    .description(
      'Trains y = w·x + b on a CSV file with the same engine the board runs, and prints one record per epoch.\n' +
        'CSV: an optional header line, then numbers; the last column is y, the others are features (1 to 8);\n' +
        'comma, semicolon or tab. Exit status: 0 trained, 1 bad input, 2 training diverged.',
    )
    .option('--data <file.csv>', 'the dataset (required)')
    .addOption(new Option('--format <format>', 'output: text (seed-script lines), ndjson (records), csv (one row per epoch) (default: text on a terminal, ndjson when piped)').choices(FORMATS))
    .option('--out <run.ndjson>', 'also write the records to this run file')
    .option('--predict <x>', "print the trained model's prediction at x (comma-separated, one value per feature)")
    .option('--max-rows <n>', `refuse data with more rows than this (default: ${DESKTOP_CAPACITY.toLocaleString('en-US')}; a Pico holds 1,024)`);
  addTrainOptions(cmd);
  cmd.action((opts: RunOptions) => {
    // Records are small and many: gather them into 64 KB writes rather than one write per line.
    let pending = '';
    const flush = (): void => {
      if (pending) process.stdout.write(pending);
      pending = '';
    };
    try {
      const result = runCommand(opts, {
        stdout: (s) => {
          pending += s;
          if (pending.length >= 65536) flush();
        },
        stderr: (s) => {
          flush();
          process.stderr.write(s);
        },
        isTTY: process.stdout.isTTY === true,
      });
      if (result.exitCode !== 0) process.exitCode = result.exitCode;
    } finally {
      flush();
    }
  });
}
