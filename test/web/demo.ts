// Try the dashboard by hand: `npx tsx test/web/demo.ts [train|walk|FILE.ndjson…] [--rate N] [--port P]`.
// train: the desktop engine trains live (Pause/Resume/Stop work); walk: momentum, nesterov and adam
// on Rosenbrock one after the other; files: their records replayed at --rate records per second.

import { readFileSync } from 'node:fs';
import { startDashboard, type DashboardControl } from '../../host/web/server.ts';
import { trainInto, walkInto } from './live.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : dflt;
};
const rate = opt('rate', 200);
const port = opt('port', 8080);
const what = args.length ? args : ['train'];

let control: DashboardControl = { pause() {}, resume() {}, stop() {} };
const dash = await startDashboard({ port, title: 'pico-trainer demo', control: { pause: () => control.pause(), resume: () => control.resume(), stop: () => control.stop() } });
console.log(`dashboard: ${dash.url}`);

if (what[0] === 'train') {
  const f = trainInto(dash, { optimizer: 'momentum', lr: 0.01, epochs: 100_000, valSplit: 0.25 }, rate);
  control = f;
} else if (what[0] === 'walk') {
  for (const optimizer of ['momentum', 'nesterov', 'adam'] as const) {
    const f = walkInto(dash, { fn: 'rosenbrock', optimizer }, rate);
    control = f;
    await f.finished;
  }
} else {
  let stopped = false;
  let paused = false;
  control = { pause: () => void (paused = true), resume: () => void (paused = false), stop: () => void (stopped = true) };
  const lines = what.flatMap((file) => readFileSync(file, 'utf8').split('\n'));
  let i = 0;
  const tick = () => {
    if (!paused) for (let k = 0; k < rate / 100 && i < lines.length && !stopped; k++) dash.push(lines[i++]);
    if (i < lines.length && !stopped) setTimeout(tick, 10);
  };
  tick();
}
