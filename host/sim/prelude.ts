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

  // btoa/atob on bytes (Uint8Array or a Latin-1 string in; Uint8Array out), as Kaluma's.
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  define(G, 'btoa', function btoa(data) {
    let bytes;
    if (data instanceof Uint8) bytes = data;
    else if (typeof data === 'string') {
      bytes = new Uint8(data.length);
      for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i) & 255;
    } else throw new TypeError('Unsupported binary data.');
    let s = '';
    for (let i = 0; i < bytes.length; i += 3) {
      const a = bytes[i], b = i + 1 < bytes.length ? bytes[i + 1] : 0, c = i + 2 < bytes.length ? bytes[i + 2] : 0;
      s += B64[a >> 2] + B64[((a & 3) << 4) | (b >> 4)];
      s += i + 1 < bytes.length ? B64[((b & 15) << 2) | (c >> 6)] : '=';
      s += i + 2 < bytes.length ? B64[c & 63] : '=';
    }
    return s;
  });
  define(G, 'atob', function atob(encoded) {
    if (typeof encoded !== 'string') throw new TypeError('"encodedData" argument must be a string');
    const clean = encoded.replace(/=+$/, '');
    const out = new Uint8(Math.floor((clean.length * 3) / 4));
    let bits = 0, value = 0, o = 0;
    for (let i = 0; i < clean.length; i++) {
      const d = B64.indexOf(clean[i]);
      if (d < 0) continue;
      value = (value << 6) | d;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[o++] = (value >> bits) & 255;
      }
    }
    return out.subarray(0, o);
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
