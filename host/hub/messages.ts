// What a hub and its clients say to each other over the hub's local socket: one JSON object per
// line. Requests carry an id and get one answer with it (uploads also report progress); a client
// that subscribed hears every record of the board, the hub's notices, and its loss.
import type { ProtocolRecord } from '../../shared/protocol.ts';
import type { Command } from '../../shared/wire.ts';
import { UserError } from '../errors.ts';
import { BoardError, LinkClosedError, LinkTimeoutError, TransferError } from '../link/errors.ts';
import type { RequestOptions } from '../link/board.ts';

export type HubRequest =
  | { id: number; op: 'command'; cmd: Command; opts?: RequestOptions }
  | { id: number; op: 'status'; timeoutMs?: number }
  /** `data`: base64 of the packed float32 rows. */
  | { id: number; op: 'upload'; features: number; data: string; opts?: RequestOptions & { chunkTries?: number } }
  | { id: number; op: 'release'; why: string }
  | { id: number; op: 'reclaim' }
  | { id: number; op: 'info' }
  | { id: number; op: 'notice'; text: string };

export interface WireError {
  name: string;
  message: string;
  /** A BoardError's record fields. */
  code?: string;
  boardMessage?: string;
}

export type HubMessage =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError }
  | { id: number; progress: { sentSamples: number; totalSamples: number } }
  | { record: ProtocolRecord }
  | { notice: string }
  | { closed: string };

export function toWire(err: unknown): WireError {
  const e = err as Error & { code?: string };
  if (err instanceof BoardError) return { name: 'BoardError', message: e.message, code: err.code, boardMessage: e.message.replace(/^the board refused: /, '').replace(/ \([^)]*\)$/, '') };
  return { name: e?.name ?? 'Error', message: String(e?.message ?? err) };
}

/** The error as the direct link would have thrown it, so that commands handle both alike. */
export function fromWire(w: WireError): Error {
  switch (w.name) {
    case 'BoardError':
      return new BoardError({ type: 'error', code: w.code ?? 'error', message: w.boardMessage ?? w.message });
    case 'LinkClosedError':
      return new LinkClosedError(w.message);
    case 'LinkTimeoutError':
      return new LinkTimeoutError(w.message);
    case 'TransferError':
      return new TransferError(w.message);
    default:
      return new UserError(w.message);
  }
}
