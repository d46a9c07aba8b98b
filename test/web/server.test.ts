import { afterEach, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../host/web/server.ts';
import type { Snapshot } from '../../host/web/store.ts';
import { toRecords, trainLines } from '../plot/records.ts';

let dash: Dashboard | null = null;
afterEach(async () => {
  await dash?.close();
  dash = null;
});

/** Reads server-sent events from the dashboard until `until` says enough. */
async function readEvents(url: string, until: (events: { event: string; data: string }[]) => boolean): Promise<{ event: string; data: string }[]> {
  const ac = new AbortController();
  const res = await fetch(url + 'events', { signal: ac.signal });
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const events: { event: string; data: string }[] = [];
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined) events.push({ event, data }); // a `retry:` block carries no event
    }
  }
  ac.abort();
  return events;
}

describe('dashboard server', () => {
  it('serves the page, its bundled script and uPlot from node_modules, on 127.0.0.1', async () => {
    dash = await startDashboard({ title: 'Lesson <3>' });
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const html = await (await fetch(dash.url)).text();
    expect(html).toContain('<title>Lesson &lt;3&gt;</title>');
    expect(html).toContain('"title":"Lesson \\u003c3>"');
    const js = await fetch(dash.url + 'app.js');
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.text()).length).toBeGreaterThan(20_000);
    expect(await (await fetch(dash.url + 'uplot.css')).text()).toContain('.uplot');
    expect((await fetch(dash.url + 'nope')).status).toBe(404);
  });

  it('gives a new page a snapshot of the run so far, then the records in batches', async () => {
    dash = await startDashboard({ flushMs: 50 });
    const recs = toRecords(trainLines({ epochs: 600, valSplit: 0.2 }));
    const first = recs.slice(0, 101); // start + epochs 0..99
    for (const r of first) dash.push(r);
    const reading = readEvents(dash.url, (ev) => ev.filter((e) => e.event === 'records').reduce((n, e) => n + JSON.parse(e.data).length, 0) >= recs.length - first.length);
    while (dash.clients() === 0) await new Promise((r) => setTimeout(r, 5));
    for (const r of recs.slice(first.length)) dash.push(r);
    const events = await reading;
    expect(events[0].event).toBe('snapshot');
    const snap = JSON.parse(events[0].data) as Snapshot & { paused: boolean };
    expect(snap.records).toBe(101);
    expect(snap.tracks[0].cols[0]).toEqual([...Array(100).keys()]);
    const batches = events.slice(1).filter((e) => e.event === 'records');
    const got = batches.flatMap((e) => JSON.parse(e.data));
    expect(got).toEqual(recs.slice(first.length)); // every record once, in order
    expect(batches.length).toBeLessThan(got.length / 10); // batched, not one message per record
  });

  it('turns the buttons into control calls, and refuses requests that did not come from its page', async () => {
    const calls: string[] = [];
    dash = await startDashboard({
      control: {
        pause: () => void calls.push('pause'),
        resume: async () => void calls.push('resume'),
        stop: () => {
          throw new Error('the board did not answer');
        },
      },
    });
    const post = (action: string, headers: Record<string, string> = { 'X-Dashboard': '1' }) => fetch(dash!.url + 'control/' + action, { method: 'POST', headers });
    expect((await post('pause')).status).toBe(204);
    expect((await post('resume')).status).toBe(204);
    const stop = await post('stop');
    expect(stop.status).toBe(500);
    expect(await stop.text()).toBe('the board did not answer');
    expect((await post('pause', {})).status).toBe(403);
    expect((await post('reboot')).status).toBe(404);
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('tells every page about a pause, and a new page learns it from its snapshot', async () => {
    dash = await startDashboard({ control: { pause() {}, resume() {}, stop() {} } });
    const watching = readEvents(dash.url, (ev) => ev.some((e) => e.event === 'state'));
    while (dash.clients() === 0) await new Promise((r) => setTimeout(r, 5));
    await fetch(dash.url + 'control/pause', { method: 'POST', headers: { 'X-Dashboard': '1' } });
    const events = await watching;
    expect(JSON.parse(events.find((e) => e.event === 'state')!.data)).toEqual({ paused: true });
    const late = await readEvents(dash.url, (ev) => ev.length > 0);
    expect(JSON.parse(late[0].data).paused).toBe(true);
  });

  it('answers 501 when there is no board to control, and takes record lines as well as records', async () => {
    dash = await startDashboard();
    expect((await fetch(dash.url + 'control/stop', { method: 'POST', headers: { 'X-Dashboard': '1' } })).status).toBe(501);
    dash.push('\x1b[32m{"type":"epoch","epoch":0,"w":[1],"b":0,"loss":4,"lr":0.01}\x1b[0m');
    dash.push('> undefined');
    expect(dash.store.records).toBe(1);
  });
});
