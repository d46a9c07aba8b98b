// Virtual Picos with the firmware flashed, for the tests of one file: made before them, closed after.
import { afterAll, beforeAll, expect } from 'vitest';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import type { DoneRecord, ProtocolRecord, UpdateRecord } from '../../shared/protocol.ts';
import { host } from './cli.ts';

/** `n` flashed virtual Picos (filled in before the file's tests run), at `pace`; `env` is the hosts' environment. */
export function flashedPicos(n: number, env: NodeJS.ProcessEnv, pace: 'fast' | 'board' = 'fast'): VirtualPico[] {
  const picos: VirtualPico[] = [];
  beforeAll(async () => {
    for (let i = 0; i < n; i++) picos.push(await startVirtualPico({ pace }));
    for (const p of picos) {
      const flash = await host(['flash', '--port', p.path], { env, timeoutMs: 120000 });
      expect(flash.code, flash.stderr).toBe(0);
    }
  }, 300000);
  afterAll(async () => {
    await Promise.all(picos.map((p) => p.close()));
  });
  return picos;
}

/**
 * A run on two-features.csv (y = 2·x1 − 3·x2 + 1, no noise) ended its epochs at the true parameters
 * within `tol`, and its update records count as its done record says, each with its staleness.
 */
export function expectTrueEnd(recs: ProtocolRecord[], tol: number): { done: DoneRecord; updates: UpdateRecord[] } {
  const done = recs[recs.length - 1] as DoneRecord;
  expect(done).toMatchObject({ type: 'done', reason: 'epochs' });
  expect(Math.abs(done.w[0] - 2)).toBeLessThan(tol);
  expect(Math.abs(done.w[1] + 3)).toBeLessThan(tol);
  expect(Math.abs(done.b - 1)).toBeLessThan(tol);
  const updates = recs.filter((x): x is UpdateRecord => x.type === 'update');
  expect(updates.length).toBe(done.counts?.updates);
  for (const u of updates) expect(u.staleness).toBe(u.version - 1 - u.read);
  return { done, updates };
}
