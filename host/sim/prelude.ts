// JavaScript that runs inside the sandbox before any user code: Kaluma's globals, built on a handful
// of host natives, and the REPL's pretty-printer (src/repl.c km_repl_pretty_print). It is one function
// expression: it receives the natives, installs the globals and returns helpers for the host, so none
// of its own names leak into the global scope.
//
// Globals, as Kaluma 1.2.1 defines them (src/global.c): console.log/error, setTimeout, setInterval,
// clearTimeout, clearInterval, delay, delayMicroseconds, millis, micros, process (arch, platform,
// version, memoryUsage, stdin, stdout), print, global, btoa, atob, TextEncoder, TextDecoder.
// Not modelled: GPIO/PWM/ADC functions, require() and the built-in modules.
export const PRELUDE = String.raw`(function (natives) {
  'use strict';
  const G = globalThis;
  const isArray = Array.isArray;
  const isView = ArrayBuffer.isView;
  const keysOf = Object.keys;
  const toTag = Object.prototype.toString;
  const DataViewCtor = DataView;
  const ArrayBufferCtor = ArrayBuffer;
  const PromiseCtor = Promise;
  const ErrorCtor = Error;
  const Uint8 = Uint8Array;
  const StringCtor = String;
  const define = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });

  // Built-ins that QuickJS has and JerryScript 2.4 does not: remove them so that code relying on them
  // fails here as it would on the board.
  const typedProto = Object.getPrototypeOf(Int8Array.prototype);
  const drop = [
    [Array.prototype, ['at', 'findLast', 'findLastIndex', 'toReversed', 'toSorted', 'toSpliced', 'with']],
    [typedProto, ['at', 'findLast', 'findLastIndex', 'toReversed', 'toSorted', 'with']],
    [String.prototype, ['at', 'isWellFormed', 'toWellFormed']],
    [Object, ['hasOwn', 'groupBy']],
    [Map, ['groupBy']],
    [Promise, ['withResolvers', 'try']],
    [Array, ['fromAsync']],
    [ErrorCtor, ['captureStackTrace', 'isError']],
    [G, ['WeakRef', 'FinalizationRegistry', 'Iterator', 'Float16Array', 'InternalError']],
  ];
  for (const [obj, names] of drop) for (const name of names) delete obj[name];

  const GREY = '\x1b[90m', RED = '\x1b[31m', CYAN = '\x1b[96m', MAGENTA = '\x1b[95m', YELLOW = '\x1b[93m', RESET = '\x1b[0m';
  const TYPED = ['Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array'];
  const typedName = (v) => {
    const tag = toTag.call(v).slice(8, -1);
    return TYPED.indexOf(tag) >= 0 ? tag : 'TypedArray';
  };
  const isTyped = (v) => isView(v) && !(v instanceof DataViewCtor);
  const spaces = (n) => ' '.repeat(n);

  // km_repl_pretty_print: depth 0 prints a short tag, deeper levels expand arrays and objects.
  function short(v) {
    if (isArray(v)) return CYAN + '[Array]' + RESET;
    if (isTyped(v)) return CYAN + '[' + typedName(v) + ']' + RESET;
    if (v instanceof ArrayBufferCtor) return 'ArrayBuffer { byteLength:' + MAGENTA + v.byteLength + RESET + '}';
    const t = typeof v;
    if (t === 'boolean') return MAGENTA + StringCtor(v) + RESET;
    if (t === 'function') return CYAN + '[Function]' + RESET;
    if (v instanceof DataViewCtor) return CYAN + '[DataView]' + RESET;
    if (t === 'number' || t === 'bigint') return MAGENTA + StringCtor(v) + RESET;
    if (v === null) return GREY + 'null' + RESET;
    if (v instanceof PromiseCtor) return CYAN + '[Promise]' + RESET;
    if (t === 'object') return CYAN + '[Object]' + RESET;
    if (t === 'string') return YELLOW + "'" + v + "'" + RESET;
    if (t === 'symbol') return CYAN + '[Symbol]' + RESET;
    if (t === 'undefined') return GREY + 'undefined' + RESET;
    return '';
  }
  function items(indent, depth, v, n) {
    let s = '';
    if (n > 0) {
      s += '\r\n';
      for (let i = 0; i < n; i++) {
        s += spaces(indent + 2) + pretty(indent + 2, depth - 1, v[i]);
        if (i < n - 1) s += ',';
        s += '\r\n';
      }
      s += spaces(indent);
    }
    return s;
  }
  function pretty(indent, depth, v) {
    if (depth <= 0) return short(v);
    if (isArray(v)) return '[' + items(indent, depth, v, v.length) + ']';
    if (isTyped(v)) return typedName(v) + ' [' + items(indent, depth, v, v.length) + ']';
    if (v === null || (typeof v !== 'object') || v instanceof ArrayBufferCtor || v instanceof DataViewCtor || v instanceof PromiseCtor) return short(v);
    if (v instanceof ErrorCtor) return RED + StringCtor(v.toString()) + RESET;
    const keys = keysOf(v);
    let s = '{';
    if (keys.length > 0) {
      s += '\r\n';
      for (let i = 0; i < keys.length; i++) {
        s += spaces(indent + 2) + keys[i] + ': ' + pretty(indent + 2, depth - 1, v[keys[i]]);
        if (i < keys.length - 1) s += ',';
        s += '\r\n';
      }
      s += spaces(indent);
    }
    return s + '}';
  }

  function text(args, framed) {
    let s = framed ? '\x1b[2K\r\x1b[0m' : '';
    for (let i = 0; i < args.length; i++) {
      if (i > 0) s += ' ';
      s += typeof args[i] === 'string' ? args[i] : pretty(0, 2, args[i]);
    }
    return framed ? s + '\r\n' : s;
  }
  const log = function log(...args) {
    if (args.length > 0) natives.write(text(args, true));
  };
  define(G, 'console', { log, error: log });
  define(G, 'print', function print(...args) {
    if (args.length > 0) natives.write(text(args, false));
  });
  define(G, 'global', G);

  // Timers and clocks. Argument checks as JERRYXX_CHECK_ARG_* in src/global.c.
  const needFunction = (v, name) => {
    if (typeof v !== 'function') throw new TypeError('"' + name + '" argument must be a function');
  };
  const needNumber = (v, name) => {
    if (typeof v !== 'number') throw new TypeError('"' + name + '" argument must be a number');
  };
  const optNumber = (v, name) => {
    if (v !== undefined && typeof v !== 'number') throw new TypeError('"' + name + '" argument must be a number');
  };
  define(G, 'setTimeout', function setTimeout(callback, delay) {
    needFunction(callback, 'callback');
    needNumber(delay, 'delay');
    return natives.setTimer(callback, delay, false);
  });
  define(G, 'setInterval', function setInterval(callback, delay) {
    needFunction(callback, 'callback');
    needNumber(delay, 'delay');
    return natives.setTimer(callback, delay, true);
  });
  const clearTimer = function (id) {
    needNumber(id, 'id');
    natives.clearTimer(id);
  };
  define(G, 'clearTimeout', function clearTimeout(id) { clearTimer(id); });
  define(G, 'clearInterval', function clearInterval(id) { clearTimer(id); });
  define(G, 'delay', function delay(msec) {
    optNumber(msec, 'msec');
    natives.delay(msec === undefined ? 0 : msec >>> 0);
  });
  define(G, 'delayMicroseconds', function delayMicroseconds(usec) {
    optNumber(usec, 'usec');
    natives.delay((usec === undefined ? 0 : usec >>> 0) / 1000);
  });
  define(G, 'millis', function millis() { return Math.floor(natives.now()); });
  define(G, 'micros', function micros() { return Math.floor(natives.now() * 1000); });

  // process: memoryUsage() and the shared USB stream (no 'data' event; read() polls).
  const stdin = {
    read() {
      const buf = natives.stdinRead();
      return buf === undefined ? null : new Uint8(buf);
    },
  };
  const stdout = {
    write(data) {
      if (!isTyped(data)) throw new TypeError('"data" argument must be a TypedArray');
      const bytes = new Uint8(data.buffer, data.byteOffset, data.byteLength);
      natives.writeBytes(bytes.slice().buffer);
    },
  };
  const processObj = {
    arch: 'arm',
    platform: 'rp2',
    version: '1.2.1',
    memoryUsage() {
      const m = natives.memory();
      return { heapTotal: m[0], heapUsed: m[1], heapPeak: m[2] };
    },
  };
  Object.defineProperty(processObj, 'stdin', { get: () => stdin, enumerable: true });
  Object.defineProperty(processObj, 'stdout', { get: () => stdout, enumerable: true });
  define(G, 'process', processObj);

  // btoa/atob as Kaluma 1.2.1 has them: native (src/global.c, btoa_fn/atob_fn over src/base64.c,
  // Jouni Malinen's RFC 1341 code), and not the web's. btoa takes a Uint8Array (any other typed array
  // is refused) or a string, and returns base64 with a line feed after every 72 characters; atob
  // returns a Uint8Array, and undefined where the web's would throw.
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const INVALID = 0x80;
  const B64_VALUE = new Uint8(128).fill(INVALID);
  for (let i = 0; i < 64; i++) B64_VALUE[B64.charCodeAt(i)] = i;
  B64_VALUE[61] = 0; // '=' counts as a character and decodes as 0
  define(G, 'btoa', function btoa(...args) {
    if (args.length < 1) throw new TypeError('"data" argument required');
    const data = args[0];
    let bytes;
    if (data instanceof Uint8) bytes = data; // its own view: byteOffset and length
    else if (typeof data === 'string') {
      // jerryxx_string_to_ascii_char_buffer: one byte per character, Latin-1 as it is; a character
      // above U+00FF has no byte (0 above U+07FF; below, whatever was on the C stack: 0 here).
      bytes = new Uint8(data.length);
      for (let i = 0; i < data.length; i++) {
        const c = data.charCodeAt(i);
        bytes[i] = c < 256 ? c : 0;
      }
    } else throw new TypeError('Unsupported binary data.');
    // Nothing to encode: km_base64_encode's output is empty and btoa returns undefined.
    if (bytes.length === 0) return undefined;
    let s = '';
    let line = 0;
    let i = 0;
    for (; bytes.length - i >= 3; i += 3) {
      const a = bytes[i], b = bytes[i + 1], c = bytes[i + 2];
      s += B64[a >> 2] + B64[((a & 3) << 4) | (b >> 4)] + B64[((b & 15) << 2) | (c >> 6)] + B64[c & 63];
      line += 4;
      if (line >= 72) {
        s += '\n';
        line = 0;
      }
    }
    if (i < bytes.length) {
      const a = bytes[i];
      if (bytes.length - i === 1) s += B64[a >> 2] + B64[(a & 3) << 4] + '==';
      else {
        const b = bytes[i + 1];
        s += B64[a >> 2] + B64[((a & 3) << 4) | (b >> 4)] + B64[(b & 15) << 2] + '=';
      }
      line += 4;
    }
    if (line > 0) s += '\n';
    // The encoder ends with a line feed, and btoa leaves out the last character.
    return s.slice(0, -1);
  });
  define(G, 'atob', function atob(...args) {
    const encoded = args[0];
    if (typeof encoded !== 'string') throw new TypeError('"encodedData" argument must be a string');
    // Every character that is not base64 or '=' is skipped (whitespace, '-', '_', non-ASCII); what
    // is left must come in whole groups of four, or there is no result.
    let count = 0;
    for (let i = 0; i < encoded.length; i++) {
      const c = encoded.charCodeAt(i);
      if (c < 128 && B64_VALUE[c] !== INVALID) count++;
    }
    if (count === 0 || count % 4 !== 0) return undefined;
    const out = new Uint8((count / 4) * 3);
    const block = [0, 0, 0, 0];
    let pos = 0, n = 0, pad = 0;
    for (let i = 0; i < encoded.length; i++) {
      const c = encoded.charCodeAt(i);
      if (c >= 128 || B64_VALUE[c] === INVALID) continue;
      if (c === 61) pad++;
      block[n++] = B64_VALUE[c];
      if (n === 4) {
        out[pos++] = (block[0] << 2) | (block[1] >> 4);
        out[pos++] = (block[1] << 4) | (block[2] >> 2);
        out[pos++] = (block[2] << 6) | block[3];
        n = 0;
        // The first group with '=' in it ends the data: one '=' drops a byte, two drop two, more
        // mean bad padding (no result). Whatever follows is ignored.
        if (pad > 0) {
          if (pad > 2) return undefined;
          pos -= pad;
          break;
        }
      }
    }
    return out.slice(0, pos);
  });

  class TextEncoder {
    constructor(label) { this.encoding = label === undefined ? 'utf-8' : label; }
    encode(input) {
      if (typeof input !== 'string') throw new TypeError('"input" argument must be a string');
      const bytes = [];
      for (const ch of input) {
        const c = ch.codePointAt(0);
        if (this.encoding === 'ascii') bytes.push(c < 256 ? c : 0);
        else if (c < 0x80) bytes.push(c);
        else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
        else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
        else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      }
      return new Uint8(bytes);
    }
  }
  class TextDecoder {
    constructor(label) { this.encoding = label === undefined ? 'utf-8' : label; }
    decode(input) {
      if (!(input instanceof Uint8)) throw new Error('input must be Uint8Array.');
      if (this.encoding === 'ascii') return StringCtor.fromCharCode.apply(null, input);
      return natives.utf8(input.slice().buffer);
    }
  }
  define(G, 'TextEncoder', TextEncoder);
  define(G, 'TextDecoder', TextDecoder);

  return {
    /** The REPL's result printer: pretty(indent, depth, value). */
    pretty,
    /** [String(error), error.stack or ''] — how the board prints an uncaught error. */
    describe(e) {
      let message;
      try { message = StringCtor(e); } catch (_) { message = '[Error]'; }
      let stack = '';
      try { if (e !== null && typeof e === 'object' && typeof e.stack === 'string') stack = e.stack; } catch (_) {}
      return [message, stack];
    },
  };
})`;
