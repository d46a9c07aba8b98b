// A steady load for `node --cpu-prof`: trains one benchmark job over and over for a few seconds.
// tsx compiles each module to one line, so bundle first to get line numbers in the profile:
//   npx esbuild host/bench/profile-engine.ts --bundle --platform=node --format=esm --outfile=/tmp/p.mjs
//   node --cpu-prof --cpu-prof-dir=/tmp/prof /tmp/p.mjs sgd 1
//   node --import tsx host/bench/cpuprofile.ts /tmp/prof/*.cpuprofile
import { syntheticDataset } from './data.ts';
import { engineRun } from './engine.ts';

const mode = process.argv[2] ?? 'sgd';
const features = Number(process.argv[3] ?? 1);
const samples = Number(process.argv[4] ?? 1000);
const seconds = Number(process.argv[5] ?? 3);
const ds = syntheticDataset(samples, features);
const job = mode === 'sgd' ? { batch: 1, lr: 0.01 } : { batch: 0, lr: 0.1 };
const t0 = performance.now();
let work = 0;
while (performance.now() - t0 < seconds * 1000) work += engineRun(ds, job, 500);
process.stdout.write(`${mode} ${samples} × ${features}: ${(work / (performance.now() - t0) / 1000).toFixed(1)} M sample-updates/s\n`);
