import { build } from 'esbuild';
const r = await build({ entryPoints: ['firmware/main.ts'], bundle: true, format: 'iife', globalName: 'pt', target: 'es2019', platform: 'neutral', minifySyntax: true, minifyIdentifiers: true, write: false, metafile: true, outfile: '/tmp/x.js', tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } }, define: { __FIRMWARE_VERSION__: '"1"' } });
const o = Object.values(r.metafile.outputs)[0] as any;
Object.entries(o.inputs).sort((a: any, b: any) => b[1].bytesInOutput - a[1].bytesInOutput).slice(0,12).forEach(([k, v]: any) => console.log(v.bytesInOutput, k));
