// What a command needs of "the board": send a command, upload, ask its status, hear its records and
// its loss. A BoardLink (the port itself), the hub's SharedBoard and a HubClient (another process's
// hub, over its socket) all offer it, so commands work the same with or without a hub.
import type { AckRecord, ProtocolRecord, StatusRecord } from '../../shared/protocol.ts';
import type { Command } from '../../shared/wire.ts';
import type { RequestOptions, UploadProgress } from '../link/board.ts';

export interface BoardChannel {
  sendCommand(cmd: Command, opts?: RequestOptions): Promise<AckRecord>;
  uploadDataset(packed: Float32Array, features: number, onProgress?: (p: UploadProgress) => void, opts?: RequestOptions & { chunkTries?: number }): Promise<number>;
  status(opts?: { timeoutMs?: number }): Promise<StatusRecord>;
  onRecord(cb: (r: ProtocolRecord) => void): () => void;
  /** The board is gone (unplugged, reset, the hub ended): not called for a hand-over such as flashing. */
  onClosed(cb: () => void): () => void;
  /** One-line notices from the hub (another command ended a run, the board is being flashed …). */
  onNotice?(cb: (text: string) => void): () => void;
  /** Tells everyone watching (the hub's clients and its own process) one line. */
  notify?(text: string): void;
  close(): Promise<void>;
}
