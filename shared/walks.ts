// Function minimization: the same optimizers walk a 1-D or 2-D test function from a start point,
// one record per step, for the descent-path pictures. Each function carries its gradient, a
// sensible start, learning rate and step count (the seeds' values where the seeds have them). What
// only a figure needs (the formula, the range to draw, the minimum) is the host's, in
// host/plot/functions.ts. ES2019 only: this runs on the board too.

import { defaultConfig, OPTIMIZERS, type OptimizerName, type OptimizerOptions, ConfigError } from './config.ts';
import { fround } from './f32.ts';
import { fastApply } from './kernels/fast.ts';
import type { Apply, RuleState } from './kernels/types.ts';
import { getOptimizer } from './optim/index.ts';
import { PROTOCOL_VERSION, type WalkStartRecord } from './protocol.ts';
import type { RecordSink } from './records.ts';
import { initTransforms } from './transforms.ts';
import type { Source } from './trainer.ts';

export interface WalkFunction {
  dims: 1 | 2;
  f(x: number, y: number): number;
  /** Writes the gradient at (x, y) into g[0..dims). */
  grad(x: number, y: number, g: Float64Array): void;
  start: number[];
  lr: number;
  steps: number;
}

export const WALK_FUNCTIONS: Record<string, WalkFunction> = {
  quadratic: {
    dims: 1,
    f: (x) => x * x + 4 * x + 1,
    grad: (x, _y, g) => {
      g[0] = 2 * x + 4;
    },
    start: [2],
    lr: 0.7,
    steps: 30,
  },
  bowl: {
    dims: 2,
    f: (x, y) => x * x + y * y,
    grad: (x, y, g) => {
      g[0] = 2 * x;
      g[1] = 2 * y;
    },
    start: [2, 2],
    lr: 0.1,
    steps: 50,
  },
  rosenbrock: {
    dims: 2,
    f: (x, y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x),
    grad: (x, y, g) => {
      g[0] = -2 * (1 - x) - 400 * x * (y - x * x);
      g[1] = 200 * (y - x * x);
    },
    start: [-1.5, 2],
    lr: 0.001,
    steps: 500,
  },
  beale: {
    dims: 2,
    f: (x, y) => {
      const a = 1.5 - x + x * y;
      const b = 2.25 - x + x * y * y;
      const c = 2.625 - x + x * y * y * y;
      return a * a + b * b + c * c;
    },
    grad: (x, y, g) => {
      const a = 1.5 - x + x * y;
      const b = 2.25 - x + x * y * y;
      const c = 2.625 - x + x * y * y * y;
      g[0] = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y * y * y - 1);
      g[1] = 2 * a * x + 4 * b * x * y + 6 * c * x * y * y;
    },
    start: [1, 1.5],
    lr: 0.003,
    steps: 1000,
  },
  saddle: {
    dims: 2,
    f: (x, y) => x * x - y * y,
    grad: (x, y, g) => {
      g[0] = 2 * x;
      g[1] = -2 * y;
    },
    // Just off the ridge: plain gradient descent lingers at the saddle, momentum escapes sooner.
    start: [-1.5, 0.001],
    lr: 0.05,
    steps: 80,
  },
  ravine: {
    dims: 2,
    f: (x, y) => 0.05 * x * x + 5 * y * y,
    grad: (x, y, g) => {
      g[0] = 0.1 * x;
      g[1] = 10 * y;
    },
    // Steep across, shallow along: gradient descent zig-zags, momentum and Adam run down the valley.
    start: [-9, 1],
    lr: 0.19,
    steps: 100,
  },
};

export interface WalkConfig extends OptimizerOptions {
  fn: string;
  optimizer: OptimizerName;
  steps: number;
  start: number[];
}

/** Completes a walk's settings from the function's and the optimizer's defaults, and checks them. */
export function resolveWalk(partial: Partial<WalkConfig> & { fn: string }): WalkConfig {
  const name = partial.fn;
  const fn = Object.prototype.hasOwnProperty.call(WALK_FUNCTIONS, name) ? WALK_FUNCTIONS[name] : undefined;
  if (!fn) throw new ConfigError('fn', 'unknown function "' + partial.fn + '"; choose one of ' + Object.keys(WALK_FUNCTIONS).join(', '));
  const opt = partial.optimizer || 'sgd';
  if (OPTIMIZERS.indexOf(opt) < 0) throw new ConfigError('optimizer', 'unknown optimizer "' + opt + '"; choose one of ' + OPTIMIZERS.join(', '));
  // The optimizer's defaults (a whole training config: the options a walk does not read ride along).
  const cfg: WalkConfig = Object.assign(defaultConfig(opt), { lr: fn.lr, fn: name, optimizer: opt, steps: fn.steps, start: fn.start.slice() });
  // Adaptive methods take steps of about lr regardless of the gradient's size: give them a step
  // on the scale of the plot rather than the tiny one plain gradient descent needs on Rosenbrock.
  if (opt === 'adam' || opt === 'adamw' || opt === 'rmsprop' || opt === 'adagrad') cfg.lr = Math.max(fn.lr, 0.05);
  if (opt === 'adadelta') cfg.lr = 1;
  const keys = Object.keys(partial) as (keyof WalkConfig)[];
  for (let i = 0; i < keys.length; i++) {
    const v = partial[keys[i]];
    if (v !== undefined) (cfg as unknown as Record<string, unknown>)[keys[i]] = v;
  }
  if (!(cfg.lr > 0 && isFinite(cfg.lr))) throw new ConfigError('lr', 'expected a positive number, got ' + cfg.lr);
  if (!(cfg.steps >= 1 && cfg.steps <= 1e6 && Math.floor(cfg.steps) === cfg.steps)) throw new ConfigError('steps', 'expected a whole number from 1 to 1000000');
  if (!Array.isArray(cfg.start) || cfg.start.length !== fn.dims) throw new ConfigError('start', name + ' takes ' + fn.dims + ' coordinate' + (fn.dims > 1 ? 's' : ''));
  for (let i = 0; i < cfg.start.length; i++) if (typeof cfg.start[i] !== 'number' || !isFinite(cfg.start[i])) throw new ConfigError('start', 'coordinates must be finite numbers');
  return cfg;
}

/** Walks past this distance from the origin have left every plot: stop as diverged. */
const ESCAPE = 1e6;

export class Walker {
  private readonly fn: WalkFunction;
  private readonly p: Float32Array;
  /** The gradient, in double as in training (optim/types.ts). */
  private readonly g: Float64Array;
  /** The point before the latest step: what a diverged walk reports instead of NaN. */
  private readonly prev: Float32Array;
  /** A step of the rule: the same kernels as training, on the point instead of a model's parameters. */
  private readonly apply: Apply;
  private k = -1;
  private done = false;

  constructor(
    private readonly cfg: WalkConfig,
    private readonly sink: RecordSink,
    /** 'desktop' when absent (no default parameters: Espruino has none). */
    private readonly source?: Source,
    /** The kernel for a step: fastApply (when absent), or referenceApply (kernels/reference.ts) for checking it. */
    kernel?: (st: RuleState) => Apply,
  ) {
    this.fn = WALK_FUNCTIONS[cfg.fn];
    this.p = new Float32Array(this.fn.dims);
    for (let i = 0; i < this.fn.dims; i++) this.p[i] = cfg.start[i];
    this.g = new Float64Array(this.fn.dims);
    this.prev = new Float32Array(this.fn.dims);
    const optimizer = getOptimizer(cfg.optimizer);
    const dims = this.fn.dims;
    // The point's coordinates are the "weights" of a model without a bias.
    this.apply = (kernel || fastApply)({ f: dims, bias: false, np: dims, theta: this.p, grad: this.g, optimizer, opt: optimizer.init(dims, cfg), cfg, transforms: initTransforms(cfg, optimizer, null) });
  }

  get finished(): boolean {
    return this.done;
  }

  run(): void {
    while (!this.done) this.advance(1e9);
  }

  /** Takes up to `budget` steps; true while steps remain. */
  work(budget: number): boolean {
    this.advance(budget);
    return !this.done;
  }

  stop(): void {
    if (!this.done) this.finish('stopped', '');
  }

  private value(): number {
    return fround(this.fn.f(this.p[0], this.fn.dims > 1 ? this.p[1] : 0));
  }

  private advance(budget: number): void {
    for (let n = 0; n < budget && !this.done; n++) {
      if (this.k < 0) {
        const c = this.cfg;
        const head: WalkStartRecord = { type: 'walk', protocol: PROTOCOL_VERSION, source: this.source || 'desktop', fn: c.fn, optimizer: c.optimizer, lr: c.lr, start: c.start, steps: c.steps };
        this.sink.start(head);
        this.k = 0;
        this.sink.step(0, this.p, this.fn.dims, this.value());
        continue;
      }
      const dims = this.fn.dims;
      this.fn.grad(this.p[0], dims > 1 ? this.p[1] : 0, this.g);
      this.prev.set(this.p);
      this.apply(this.cfg.lr);
      this.k++;
      const v = this.value();
      let far = !(v === v && Math.abs(v) !== Infinity);
      for (let i = 0; i < dims; i++) if (!(Math.abs(this.p[i]) < ESCAPE)) far = true;
      if (far) {
        this.p.set(this.prev);
        this.finish('diverged', 'the walk left the plot after ' + this.k + ' steps: the learning rate ' + this.cfg.lr + ' is too high; try a smaller --lr');
        return;
      }
      this.sink.step(this.k, this.p, dims, v);
      if (this.k >= this.cfg.steps) this.finish('epochs', '');
    }
  }

  /** A walk ends with a done record whose epoch counts steps, w is the point and loss the value. */
  private finish(reason: 'epochs' | 'diverged' | 'stopped', message: string): void {
    this.done = true;
    if (this.k < 0) this.k = 0;
    this.sink.done(reason, this.k, this.p, this.fn.dims, 0, this.value(), -1, message);
  }
}
