// Byte <-> text conversions the way the board does them.

/**
 * JerryScript stores strings as CESU-8 and Kaluma prints those bytes as they are: every UTF-16 code
 * unit becomes 1–3 bytes on its own, so a character outside the BMP comes out as two 3-byte halves.
 */
export function cesu8(text: string): Uint8Array {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 63);
    } else {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 63);
      out[o++] = 0x80 | (c & 63);
    }
  }
  return out;
}

const utf8 = new TextDecoder('utf-8');

/** Source text from the bytes the REPL collected or the flash holds. */
export function decodeSource(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** One byte per character, for strings that are known to be ASCII (REPL commands). */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** The inverse of latin1(): one byte per character (character codes above 255 are cut to 8 bits). */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
