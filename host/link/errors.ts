// What can go wrong on the link, as errors the CLI prints as one clear message (UserError).
import { UserError } from '../errors.ts';
import type { ErrorRecord } from '../../shared/protocol.ts';

/** Nothing (or not the expected thing) arrived in time. */
export class LinkTimeoutError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'LinkTimeoutError';
  }
}

/** The port closed (unplugged, reset, or closed by us) while we were waiting. */
export class LinkClosedError extends UserError {
  constructor(message = 'the serial port closed (board unplugged or reset?)') {
    super(message);
    this.name = 'LinkClosedError';
  }
}

/** The board answered a request with an `error` record. */
export class BoardError extends UserError {
  readonly code: string;
  readonly seq: number | undefined;
  constructor(record: ErrorRecord) {
    super(`the board refused: ${record.message} (${record.code})`);
    this.name = 'BoardError';
    this.code = record.code;
    this.seq = record.seq;
  }
}

/** The board's answer did not match what was sent (count or checksum). */
export class TransferError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'TransferError';
  }
}

/** What is at the other end of the port is not what the command needs. */
export class WrongBoardError extends UserError {
  constructor(
    readonly kind: 'not-kaluma' | 'no-firmware' | 'protocol',
    message: string,
  ) {
    super(message);
    this.name = 'WrongBoardError';
  }
}
