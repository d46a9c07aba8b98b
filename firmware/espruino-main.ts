// The Espruino build's entry: the same firmware (main.ts, with espruino.ts as its runtime), whose two
// calls become the global `pt` by a plain assignment to the `var pt` the build puts before the
// bundle. The Kaluma build turns main.ts's exports into `var pt` through esbuild's globalName, whose
// helper defines a getter per export inside a `for (let …)` loop: on Espruino every one of those
// closures would see the last name (runtime-facts.md), and pt.d would be pt.c.
import { c, d } from './main.ts';

declare let pt: { d: typeof d; c: typeof c };
pt = { d: d, c: c };
