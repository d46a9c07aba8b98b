// The page's script: client/app.ts with uPlot, the store and the figure code, bundled by esbuild
// in memory once per process. Everything comes from the repo and node_modules: no CDN, no network.

import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

let bundle: Promise<string> | null = null;

export function clientBundle(): Promise<string> {
  if (!bundle)
    bundle = build({
      entryPoints: [fileURLToPath(new URL('./client/app.ts', import.meta.url))],
      bundle: true,
      write: false,
      format: 'iife',
      target: 'es2020',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    }).then((r) => r.outputFiles[0].text);
  return bundle;
}
