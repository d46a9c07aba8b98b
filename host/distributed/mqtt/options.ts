// `host distributed`'s network options, checked before anything runs: --join (a student's host),
// or --listen / --broker (the teacher's, the parameter server), with --host and --mqtt-port for the
// broker it embeds.
import { optionName } from '../../../shared/config.ts';
import { UserError } from '../../errors.ts';
import { givenTrainKeys } from '../../options.ts';
import { parallelOptionsGiven } from '../../parallel/cli-options.ts';
import { DEFAULT_MQTT_PORT, parseJoinUrl } from './messages.ts';

export interface NetworkOptions {
  listen?: boolean;
  host?: string;
  mqttPort?: string;
  broker?: string;
  join?: string;
}

export type Network =
  | { mode: 'none' }
  | { mode: 'join'; url: string }
  /** The teacher's host: an embedded broker on host:port, or the one at `broker`. */
  | { mode: 'listen'; host: string; port: number; broker?: string };

/** Options a student's host leaves to the teacher's (the run's settings travel with the run). */
const TEACHER_CHOOSES = ['algorithm', 'data', 'generate', 'samples', 'threads', 'cas', 'out', 'figure', 'workers', 'round'];

export function networkOptions(o: NetworkOptions & Record<string, unknown>): Network {
  if (o.join !== undefined) {
    for (const k of ['listen', 'broker', 'host', 'mqttPort']) {
      if (o[k] !== undefined) throw new UserError(`--${optionName(k)}: for the teacher's host; with --join this host is a student's: leave it out`);
    }
    const given = TEACHER_CHOOSES.find((k) => o[k] !== undefined) ?? givenTrainKeys(o)[0] ?? (parallelOptionsGiven(o) || undefined);
    if (given !== undefined) {
      const flag = given.startsWith('--') ? given : `--${optionName(given)}`;
      throw new UserError(`${flag}: the teacher's host chooses the run's settings; with --join give only this laptop's boards (--port, or --boards all)`);
    }
    parseJoinUrl(o.join);
    return { mode: 'join', url: o.join };
  }
  if (o.broker !== undefined) {
    if (o.host !== undefined) throw new UserError(`--host: the address of the broker this host embeds; with --broker the broker listens where it was started: leave --host out`);
    if (o.mqttPort !== undefined) throw new UserError(`--mqtt-port: the port of the broker this host embeds; with --broker give the port in its URL (mqtt://HOST:PORT)`);
    parseJoinUrl(o.broker, '--broker');
    return { mode: 'listen', host: '', port: 0, broker: o.broker };
  }
  if (!o.listen) {
    if (o.host !== undefined || o.mqttPort !== undefined) throw new UserError(o.host !== undefined ? '--host: goes with --listen (the broker other laptops join through) or --web (the live page)' : '--mqtt-port: goes with --listen (the broker other laptops join through)');
    return { mode: 'none' };
  }
  const port = o.mqttPort === undefined ? DEFAULT_MQTT_PORT : Number(o.mqttPort);
  if (!/^\d+$/.test(o.mqttPort ?? '0') || !Number.isInteger(port) || port > 65535) throw new UserError(`--mqtt-port ${o.mqttPort}: expected a port number from 1 to 65535 (0: a free one)`);
  return { mode: 'listen', host: o.host ?? '127.0.0.1', port };
}

/** --workers with --listen: how many workers to wait for in all (null: until Enter is pressed). */
export function workersToWaitFor(workers: string | undefined, local: number): number | null {
  if (workers === undefined) {
    if (!process.stdin.isTTY) throw new UserError('--listen: say how many workers to wait for with --workers N (this computer\'s boards and those that join), or run it in a terminal and press Enter to start');
    return null;
  }
  const n = Number(workers);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UserError(`--workers ${workers}: expected a whole number from 1 to 64`);
  if (n < local) throw new UserError(`--workers ${n}: fewer than the ${local} boards given here; with --listen it counts every worker, this computer's boards and those that join`);
  return n;
}
