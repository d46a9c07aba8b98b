// The board's side of `.flash -w`: Kaluma's YMODEM receiver (src/ymodem.c), step for step.
//
// What the sender sees:
//   - 'C' once a second (a 1 s read time-out each) until the first block arrives;
//   - block 0 (file name, NUL, size, space, zero padding): ACK then 'C';
//   - each data block: ACK, or CAN CAN when the flash write fails ("Verification failed");
//   - a block with a bad CRC or a bad packet-number complement, or one cut short: 'C' again
//     (Kaluma asks for the packet; it does not send NAK for these), and the sender must resend;
//   - a block with an unexpected packet number: NAK;
//   - EOT: ACK; then an all-zero block 0 ends the session: ACK, and the board prints Done.
//   - 'a' or 'A' in place of a block aborts (CAN CAN, "Aborted"); CAN CAN from the sender aborts (ACK).
// One deviation: after more than 5 consecutive errors Kaluma sends CAN CAN and keeps waiting forever
// (only 'a' gets it out); the simulator ends the transfer there with "Failed to receive".

const SOH = 0x01;
const STX = 0x02;
const EOT = 0x04;
const ACK = 0x06;
const NAK = 0x15;
const CA = 0x18;
const CRC16 = 0x43; // 'C'
const ABORT1 = 0x41; // 'A'
const ABORT2 = 0x61; // 'a'
const DOWNLOAD_TIMEOUT_MS = 1000;
const MAX_ERRORS = 5;

export type YmodemStatus = 'ok' | 'abort' | 'limit' | 'data' | 'failed';

/** What the board prints after the transfer (src/repl.c cmd_flash). */
export const YMODEM_RESULT_TEXT: Record<YmodemStatus, string> = {
  ok: '\r\nDone\r\n',
  limit: '\r\nThe file size is too large\r\n',
  data: '\r\nVerification failed\r\n',
  abort: '\r\nAborted\r\n',
  failed: '\r\nFailed to receive\r\n',
};

/** The USB serial as the receiver uses it (km_tty_read_sync / km_tty_putc). */
export interface YmodemLine {
  /** Waits up to timeoutMs until `n` bytes are queued, then takes exactly `n`; null (taking nothing) on time-out. */
  readExactly(n: number, timeoutMs: number): Uint8Array | null;
  putc(byte: number): void;
}

/** header_cb / packet_cb / footer_cb: a negative return cancels the transfer. */
export interface YmodemSink {
  header(fileName: string, fileSize: number): number;
  packet(data: Uint8Array): number;
  footer(): void;
}

/** Fault injection: corrupt the next N blocks as they arrive (as line noise would). */
export interface YmodemFaults {
  corruptBlocks: number;
}

/** CRC-16/XMODEM (polynomial 0x1021, initial 0), as calc_crc16. */
export function crc16Xmodem(data: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < data.length; i++) {
    crc ^= data[i] << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

type Packet = { status: 'ok'; length: number; block: Uint8Array | null } | { status: 'timeout' | 'error' | 'abort' };

function receivePacket(line: YmodemLine, faults: YmodemFaults): Packet {
  const first = line.readExactly(1, DOWNLOAD_TIMEOUT_MS);
  if (first === null) return { status: 'timeout' };
  let size = 0;
  switch (first[0]) {
    case SOH:
      size = 128;
      break;
    case STX:
      size = 1024;
      break;
    case EOT:
      return { status: 'ok', length: 0, block: null };
    case CA: {
      const second = line.readExactly(1, DOWNLOAD_TIMEOUT_MS);
      return second !== null && second[0] === CA ? { status: 'ok', length: 2, block: null } : { status: 'error' };
    }
    case ABORT1:
    case ABORT2:
      return { status: 'abort' };
    default:
      return { status: 'error' };
  }
  // packet number, its complement, the data, two CRC bytes
  const rest = line.readExactly(size + 4, DOWNLOAD_TIMEOUT_MS);
  if (rest === null) return { status: 'timeout' };
  if (faults.corruptBlocks > 0) {
    faults.corruptBlocks--;
    rest[2 + (size >> 1)] ^= 0x5a;
  }
  if (rest[0] !== (rest[1] ^ 0xff)) return { status: 'error' };
  const data = rest.subarray(2, 2 + size);
  const crc = (rest[2 + size] << 8) | rest[3 + size];
  if (crc16Xmodem(data) !== crc) return { status: 'error' };
  return { status: 'ok', length: size, block: rest };
}

/** km_ymodem_receive: blocks until the session ends. */
export function ymodemReceive(line: YmodemLine, sink: YmodemSink, faults: YmodemFaults = { corruptBlocks: 0 }): YmodemStatus {
  let errors = 0;
  let sessionBegun = false;
  for (;;) {
    let packetsReceived = 0;
    for (;;) {
      const p = receivePacket(line, faults);
      if (p.status === 'ok') {
        errors = 0;
        if (p.length === 2) {
          line.putc(ACK); // cancelled by the sender
          return 'abort';
        }
        if (p.length === 0) {
          line.putc(ACK); // EOT: this file is done, the next block 0 follows
          break;
        }
        const block = p.block as Uint8Array;
        const data = block.subarray(2, 2 + p.length);
        if (block[0] !== (packetsReceived & 0xff)) {
          line.putc(NAK);
          continue;
        }
        if (packetsReceived === 0) {
          if (data[0] === 0) {
            line.putc(ACK); // empty block 0: end of the session
            sink.footer();
            return 'ok';
          }
          const { name, size } = parseHeader(data);
          if (sink.header(name, size) < 0) {
            line.putc(CA);
            line.putc(CA);
            return 'limit';
          }
          line.putc(ACK);
          line.putc(CRC16);
        } else if (sink.packet(data) < 0) {
          line.putc(CA);
          line.putc(CA);
          return 'data';
        } else {
          line.putc(ACK);
        }
        packetsReceived++;
        sessionBegun = true;
      } else if (p.status === 'abort') {
        line.putc(CA);
        line.putc(CA);
        return 'abort';
      } else {
        if (sessionBegun) errors++;
        if (errors > MAX_ERRORS) {
          line.putc(CA);
          line.putc(CA);
          return 'failed';
        }
        line.putc(CRC16); // ask for the packet (again)
      }
    }
  }
}

function parseHeader(data: Uint8Array): { name: string; size: number } {
  let i = 0;
  let name = '';
  while (i < data.length && data[i] !== 0 && i < 64) name += String.fromCharCode(data[i++]);
  i++;
  let sizeText = '';
  while (i < data.length && data[i] !== 0x20 && sizeText.length < 16) sizeText += String.fromCharCode(data[i++]);
  // atoi: leading digits, 0 when there are none
  const m = /^\s*[+-]?\d+/.exec(sizeText);
  return { name, size: m ? parseInt(m[0], 10) : 0 };
}
