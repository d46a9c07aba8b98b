// The virtual Pico's clock. Three paces:
//  - 'fast': the board's clock is the wall clock and programs run at QuickJS's speed (tests).
//  - 'board': programs are charged their board cost (cost-model.ts) and the board thread sleeps so
//    that wall time follows board time: a call that costs 40 ms of board time takes 40 ms, output
//    appears at the board time it is printed, millis() reads board time. Idle time (waiting for a
//    timer or input) passes at wall speed.
//  - 'virtual': the same board clock, without the sleeping: board time runs ahead of the wall clock
//    by what the code cost. For measuring (runPaced, figures), not for a class.
//
// The board clock is the wall clock plus an offset that only changes while JavaScript runs: a run
// that starts at board time B and costs C ends at board time B + C. At each sync point (console
// output, the interrupt handler QuickJS calls every few thousand operations, delay(), the end of the
// run) the 'board' pace sleeps until the wall clock has caught up, so the offset stays near zero.
import { COUNTER, EVAL_HOOK, TICKS_PER_MS, TICKS_PER_US, ticksOf, type Category, type CostWeights } from './cost-model.ts';

export type PaceMode = 'fast' | 'board' | 'virtual';

/** Longest single sleep, so that a Ctrl-C during a long sync is seen quickly. */
const SLEEP_SLICE_MS = 10;

/** Board clock, published for the main thread (virtual-pico.ts): Float64 slots. */
export const ClockSlot = {
  /** Board ms at the last update. */
  board: 0,
  /** Epoch ms (performance.timeOrigin + now) of the last update. */
  at: 1,
  /** 1 while JavaScript runs (board time then only moves at the next update). */
  running: 2,
  /** Board ms spent running JavaScript since boot. */
  busy: 3,
} as const;
export const CLOCK_SLOTS = 4;

export class BoardClock {
  private readonly t0 = performance.now();
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));
  /** Board ms minus wall ms while idle. */
  private offset = 0;
  private running = false;
  private entryBoard = 0;
  private entryTicks = 0;
  /** Ticks charged by the host (output, parsing, delay) during this run. */
  private hostTicks = 0;
  private counter: () => number = () => 0;
  private busyMs = 0;

  constructor(
    readonly mode: PaceMode,
    readonly weights: CostWeights,
    private readonly published: Float64Array | null = null,
  ) {
    this.publish();
  }

  get paced(): boolean {
    return this.mode !== 'fast';
  }

  /** Wall ms since boot. */
  wall(): number {
    return performance.now() - this.t0;
  }

  private ticks(): number {
    return this.counter() + this.hostTicks;
  }

  /** Board ms since boot (what millis() returns). */
  now(): number {
    if (!this.running) return this.wall() + this.offset;
    return this.entryBoard + (this.ticks() - this.entryTicks) / TICKS_PER_MS;
  }

  /** Board ms spent running JavaScript since boot. */
  busy(): number {
    return this.busyMs + (this.running ? (this.ticks() - this.entryTicks) / TICKS_PER_MS : 0);
  }

  /** JavaScript starts running: from here the board clock moves by cost. `counter` reads the sandbox's tick counter. */
  enter(counter: () => number): void {
    if (!this.paced || this.running) return;
    this.entryBoard = this.now();
    this.counter = counter;
    this.hostTicks = 0;
    this.entryTicks = this.ticks();
    this.running = true;
    this.publish();
  }

  /** JavaScript stopped: the board clock is idle again, at the board time the run reached. */
  leave(): void {
    if (!this.running) return;
    this.sync();
    const board = this.now();
    this.busyMs += (this.ticks() - this.entryTicks) / TICKS_PER_MS;
    this.running = false;
    this.counter = () => 0;
    this.offset = board - this.wall();
    this.publish();
  }

  charge(category: Category, count = 1): void {
    if (this.running) this.hostTicks += ticksOf(this.weights, category, count);
  }

  chargeUs(us: number): void {
    if (this.running) this.hostTicks += Math.round(us * TICKS_PER_US);
  }

  /**
   * 'board' pace: sleeps until the wall clock reaches the board clock. `stop` is asked between
   * slices of the sleep; true ends it early (a Ctrl-C) and is returned.
   */
  sync(stop?: () => boolean): boolean {
    if (!this.paced) return false;
    this.publish();
    if (this.mode !== 'board') return false;
    const target = this.running ? this.now() - this.offset : this.wall();
    for (let left = target - this.wall(); left > 0; left = target - this.wall()) {
      if (stop && stop()) return true;
      Atomics.wait(this.sleeper, 0, 0, Math.min(left, SLEEP_SLICE_MS));
    }
    return false;
  }

  /** delay(ms): the board blocks; its clock moves by ms (and the wall clock with it at board pace). */
  delay(ms: number): void {
    if (this.running) {
      this.hostTicks += Math.round(ms * TICKS_PER_MS);
      this.sync();
      return;
    }
    if (this.mode === 'virtual') this.offset += ms;
    else {
      const end = this.wall() + ms;
      for (let left = ms; left > 0; left = end - this.wall()) Atomics.wait(this.sleeper, 0, 0, left);
    }
  }

  /** 'virtual' pace: idle time passes at once (used by runPaced when only timers are left). */
  skipIdleTo(board: number): void {
    if (!this.running && this.mode === 'virtual' && board > this.now()) this.offset += board - this.now();
  }

  private publish(): void {
    const p = this.published;
    if (!p) return;
    p[ClockSlot.board] = this.now();
    p[ClockSlot.at] = performance.timeOrigin + performance.now();
    p[ClockSlot.running] = this.running ? 1 : 0;
    p[ClockSlot.busy] = this.busy();
  }
}

/** Reads a clock published by a board thread (see ClockSlot). */
export function readPublishedClock(p: Float64Array): { millis: number; busyMillis: number } {
  const idle = p[ClockSlot.running] === 0;
  const since = performance.timeOrigin + performance.now() - p[ClockSlot.at];
  return { millis: p[ClockSlot.board] + (idle ? since : 0), busyMillis: p[ClockSlot.busy] };
}

/**
 * Sandbox JavaScript for a paced engine, run right after the Kaluma prelude (before the heap
 * baseline is taken, so none of it counts as the program's memory). It defines the tick counter,
 * charges the built-ins whose cost is their own, and instruments code made at run time: `new
 * Function(...)` (and `Function(...)`, `fn.constructor(...)`) through natives.instrumentFunction,
 * direct eval through EVAL_HOOK (the instrumenter rewrites `eval(x)` to `eval(EVAL_HOOK(x))`).
 * `K` holds the ticks of each dynamic category.
 */
export function pacePrelude(weights: CostWeights): string {
  return PACE_PRELUDE.replace('/*K*/', JSON.stringify(dynamicTicks(weights)));
}

const PACE_PRELUDE = String.raw`(function (natives) {
  'use strict';
  const K = /*K*/;
  const G = globalThis;
  const COUNTER = '${COUNTER}';
  Object.defineProperty(G, COUNTER, { value: 0, writable: true, enumerable: false, configurable: false });
  const define = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  const apply = Reflect.apply;
  const isInteger = Number.isInteger;
  const len = (v) => (v !== null && v !== undefined && typeof v.length === 'number' ? v.length : 0);
  // The wrapper runs the original, then charges: cost(self, args, result) in ticks.
  const wrap = (obj, name, cost) => {
    const orig = obj[name];
    if (typeof orig !== 'function') return;
    const w = function (...args) {
      const r = apply(orig, this, args);
      G[COUNTER] += cost(this, args, r);
      return r;
    };
    Object.defineProperty(w, 'name', { value: orig.name, configurable: true });
    Object.defineProperty(w, 'length', { value: orig.length, configurable: true });
    define(obj, name, w);
  };
  const fixed = (k) => () => k;

  for (const name of Object.getOwnPropertyNames(Math)) if (typeof Math[name] === 'function') wrap(Math, name, fixed(K.mathCall));

  const formatCost = (self) => (isInteger(+self) ? K.intFormat : K.numFormat);
  for (const name of ['toPrecision', 'toFixed', 'toExponential', 'toString']) wrap(Number.prototype, name, formatCost);

  wrap(JSON, 'stringify', (self, args, r) => K.jsonCall + K.jsonChar * len(r));
  wrap(JSON, 'parse', (self, args) => K.jsonCall + K.jsonChar * (typeof args[0] === 'string' ? args[0].length : 0));

  for (const name of Object.getOwnPropertyNames(String.prototype)) {
    if (name !== 'constructor' && typeof String.prototype[name] === 'function') wrap(String.prototype, name, fixed(K.strMethod));
  }
  wrap(String, 'fromCharCode', (self, args) => K.strMethod + K.nativeElem * args.length);

  // Array and typed-array methods: a call, plus each element they go through in C.
  const elements = (name) => (self, args, r) => {
    if (name === 'set') return K.arrayMethod + K.nativeElem * len(args[0]);
    if (name === 'subarray' || name === 'push' || name === 'pop' || name === 'at') return K.arrayMethod;
    if (name === 'slice' || name === 'map' || name === 'filter') return K.arrayMethod + K.nativeElem * (len(self) + len(r));
    return K.arrayMethod + K.nativeElem * len(self);
  };
  const typedProto = Object.getPrototypeOf(Int8Array.prototype);
  for (const proto of [Array.prototype, typedProto]) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (name !== 'constructor' && d && typeof d.value === 'function') wrap(proto, name, elements(name));
    }
  }
  for (const name of ['keys', 'values', 'entries', 'assign', 'defineProperty', 'getOwnPropertyNames', 'getPrototypeOf', 'freeze', 'create']) {
    wrap(Object, name, (self, args, r) => K.arrayMethod + K.nativeElem * len(r));
  }
  // Kaluma's atob/btoa are C: a call and a little per character.
  for (const name of ['atob', 'btoa']) wrap(G, name, (self, args, r) => K.strMethod + K.nativeElem * (len(args[0]) + len(r)));

  // Code made at run time is instrumented like the program.
  const OriginalFunction = Function;
  const StringCtor = String;
  const FunctionWrapper = function Function(...args) {
    const params = [];
    for (let i = 0; i < args.length - 1; i++) params.push(StringCtor(args[i]));
    const body = args.length > 0 ? StringCtor(args[args.length - 1]) : '';
    const code = natives.instrumentFunction(params.join(','), body);
    params.push(code);
    return apply(OriginalFunction, undefined, params);
  };
  Object.defineProperty(FunctionWrapper, 'length', { value: 1, configurable: true });
  FunctionWrapper.prototype = OriginalFunction.prototype;
  define(OriginalFunction.prototype, 'constructor', FunctionWrapper);
  define(G, 'Function', FunctionWrapper);
  define(G, '${EVAL_HOOK}', function (code) {
    return typeof code === 'string' ? natives.instrumentEval(code) : code;
  });
})`;

/** The ticks of each dynamic category, as PACE_PRELUDE's K. */
export function dynamicTicks(weights: CostWeights): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of Object.keys(weights) as Category[]) out[c] = ticksOf(weights, c);
  return out;
}
