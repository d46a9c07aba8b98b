// `host bench` (`npm run bench`): the engine's throughput against TF.js and a hand-written loop,
// the firmware's size, the engine's static memory, the virtual Pico's upload and record rates, and
// throughput by dataset size. The work lives in host/bench/, loaded only when the command runs.
import { Command, Option } from 'commander';

export function register(program: Command): void {
  program
    .command('bench')
    .description('measure training throughput (engine vs TF.js vs a hand-written loop), memory, firmware size and the virtual Pico')
    .option('--json', 'print the results as JSON')
    .option('--quick', 'few, short repetitions (a smoke test; the figures are rough)')
    .addOption(new Option('--clock <clock>', 'time by this process\'s CPU time or by the wall clock').choices(['cpu', 'wall']).default('cpu'))
    .option('--no-tfjs', 'leave TF.js out')
    .option('--no-board', 'leave the virtual Pico out')
    .option('--no-board-speed', 'leave the board-speed section (Duktape as an interpreter proxy) out')
    .addOption(new Option('--only <section>', 'measure one section alone').choices(['throughput', 'memory', 'virtual-pico', 'scaling', 'parallel', 'boards', 'board-speed']))
    .action(async (o: { json?: boolean; quick?: boolean; clock: 'cpu' | 'wall'; tfjs: boolean; board: boolean; boardSpeed: boolean; only?: string }) => {
      const { runBench, BENCH_SECTIONS } = await import('../bench/run.ts');
      const { formatReport } = await import('../bench/report.ts');
      const result = await runBench({
        quick: o.quick === true,
        clock: o.clock,
        tfjs: o.tfjs,
        board: o.board,
        boardSpeed: o.boardSpeed,
        only: BENCH_SECTIONS.find((s) => s === o.only),
        log: (msg) => {
          if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${msg}`);
        },
      });
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
      process.stdout.write(o.json ? JSON.stringify(result, null, 2) + '\n' : formatReport(result));
    });
}
