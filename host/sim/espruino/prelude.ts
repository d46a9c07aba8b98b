// JavaScript that runs inside the virtual Espruino's sandbox before any user code: Espruino 2v29's
// globals on a handful of host natives, the built-ins it lacks removed, and the helpers the host
// needs (Espruino's value printing, error descriptions, the memory registries). One function
// expression: it gets the natives, installs the globals and returns the helpers, so none of its own
// names leak into the global scope.
//
// Read from espruino/Espruino: src/jswrap_json.c (printing and JSON.stringify), src/jsutils.c
// (ftoa_bounded_extra, stringToFloat), src/jswrap_math.c (pow, sqrt, round and, with
// SAVE_ON_FLASH_MATH as on the Pico, sin/cos/atan as Taylor series), src/jswrap_functions.c
// (atob/btoa on strings), src/jswrap_interactive.c (print, timers), src/jswrap_espruino.c (E),
// src/jswrap_process.c (process), src/jswrap_storage.c (Storage).
import { ESPRUINO_ABSENT } from '../../build/espruino-syntax.ts';
import { ADD_HELPER, STRING_HELPER } from './code.ts';
import { ARRAYBUFFER_MAX_BYTES, BLOCK_SIZE, ESPRUINO_VERSION, FLAT_STRING_BREAK_EVEN, NAME_CHARS, STRING_EXT_CHARS, STRING_FIRST_CHARS } from './board-facts.ts';

export const PRELUDE = String.raw`(function (natives) {
  'use strict';
  const G = globalThis;
  const OrigFunction = Function;
  const OrigString = String;
  const OrigNumber = Number;
  const OrigDate = Date;
  const OrigError = Error;
  const WeakRefC = WeakRef;
  const ReflectC = Reflect;
  const ProxyC = Proxy;
  const SymbolToPrimitive = Symbol.toPrimitive;
  const indirectEval = eval;
  const isArray = Array.isArray;
  const isView = ArrayBuffer.isView;
  const ArrayBufferC = ArrayBuffer;
  const DataViewC = DataView;
  const getProto = Object.getPrototypeOf;
  const keysOf = Object.keys;
  const ownNames = Object.getOwnPropertyNames;
  const describeProp = Object.getOwnPropertyDescriptor;
  const fnToString = OrigFunction.prototype.toString;
  const fromCharCode = OrigString.fromCharCode;
  const mathFloor = Math.floor;
  const mathExp = Math.exp;
  const mathLog = Math.log;
  const define = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  const hidden = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: false, configurable: false, enumerable: false });

  // ---------------------------------------------------------------- numbers as Espruino writes and reads them
  // The build's model (host/build/espruino-number.ts), called on the host: ftoa_bounded_extra for
  // writing (at most 11 digits after the point, truncated), stringToFloat for reading (digits summed
  // as digit·0.1ᵏ). An int below 2³¹ prints as itostr does, which is what String gives it.
  const isSmallInt = (n) => n === (n | 0) && !(n === 0 && 1 / n < 0);
  const numStr = (n) => (isSmallInt(n) ? OrigString(n) : natives.numberText(n));
  const ftoa = (n, radix, fractionalDigits) => natives.ftoa(n, radix, fractionalDigits);
  const parseDecimal = (s) => natives.stringToFloat(s);

  // jsvAsString: what a value is as text on the board.
  function asString(v) {
    switch (typeof v) {
      case 'number': return numStr(v);
      case 'string': return v;
      case 'undefined': return 'undefined';
      case 'boolean': return v ? 'true' : 'false';
      case 'function': return functionText(v, false);
      case 'object':
        if (v === null) return 'null';
        return OrigString(v);
      default: return OrigString(v);
    }
  }
  function toPrimitive(v, hint) {
    if ((typeof v !== 'object' || v === null) && typeof v !== 'function') return v;
    const exotic = v[SymbolToPrimitive];
    if (exotic !== undefined) return exotic.call(v, hint);
    const order = hint === 'string' || v instanceof OrigDate ? ['toString', 'valueOf'] : ['valueOf', 'toString'];
    for (const name of order) {
      const f = v[name];
      if (typeof f === 'function') {
        const r = f.call(v);
        if ((typeof r !== 'object' || r === null) && typeof r !== 'function') return r;
      }
    }
    throw new TypeError('toPrimitive');
  }
  // Helpers the rewritten code calls (code.ts): '+' with a string operand, and a template's \${…}.
  hidden(G, '${ADD_HELPER}', function (a, b) {
    a = toPrimitive(a, 'default');
    b = toPrimitive(b, 'default');
    if (typeof a === 'string' || typeof b === 'string') return asString(a) + asString(b);
    return a + b;
  });
  hidden(G, '${STRING_HELPER}', function (v) {
    return typeof v === 'number' ? numStr(v) : OrigString(toPrimitive(v, 'string'));
  });

  const numberToString = function toString(radix) {
    const n = OrigNumber.prototype.valueOf.call(this);
    if (radix === undefined || radix === 10) return numStr(n);
    return ftoa(n, radix | 0, -1);
  };
  define(OrigNumber.prototype, 'toString', numberToString);
  define(OrigNumber.prototype, 'toFixed', function toFixed(decimals) {
    let d = decimals | 0;
    if (d < 0) d = 0;
    if (d > 20) d = 20;
    return ftoa(OrigNumber.prototype.valueOf.call(this), 10, d);
  });
  const arrayJoin = Array.prototype.join;
  define(Array.prototype, 'join', function join(separator) {
    const sep = separator === undefined ? ',' : asString(separator);
    let s = '';
    for (let i = 0; i < this.length; i++) {
      if (i > 0) s += sep;
      const v = this[i];
      if (v !== undefined && v !== null) s += typeof v === 'number' ? numStr(v) : OrigString(v);
    }
    return s;
  });
  void arrayJoin;
  const StringProxy = new ProxyC(OrigString, {
    apply(target, self, args) {
      return args.length > 0 && typeof args[0] === 'number' ? numStr(args[0]) : ReflectC.apply(target, self, args);
    },
    construct(target, args, newTarget) {
      const a = args.length > 0 && typeof args[0] === 'number' ? [numStr(args[0])] : args;
      return ReflectC.construct(target, a, newTarget);
    },
  });
  define(G, 'String', StringProxy);
  define(OrigString.prototype, 'constructor', StringProxy);
  const parseFloatEsp = function parseFloat(s) { return parseDecimal(asString(s)); };
  define(G, 'parseFloat', parseFloatEsp);
  // A new Number function rather than a proxy: Number.EPSILON and its kin are non-configurable on
  // QuickJS's, so only a Number without them can lack them (src/jswrap_number.c has none).
  const NumberEsp = function Number(...args) {
    let v = 0;
    if (args.length > 0) {
      const a = args[0];
      if (typeof a === 'string') v = natives.stringToNumber(a);
      else v = OrigNumber(a);
    }
    return new.target ? ReflectC.construct(OrigNumber, [v], new.target) : v;
  };
  for (const name of ['NaN', 'MAX_VALUE', 'MIN_VALUE', 'NEGATIVE_INFINITY', 'POSITIVE_INFINITY']) define(NumberEsp, name, OrigNumber[name]);
  Object.defineProperty(NumberEsp, 'prototype', { value: OrigNumber.prototype, writable: false, enumerable: false, configurable: false });
  define(G, 'Number', NumberEsp);
  define(OrigNumber.prototype, 'constructor', NumberEsp);

  // ---------------------------------------------------------------- Espruino's JSON printing
  // jsfGetJSONWithCallback (src/jswrap_json.c), with its flags.
  const LIMIT = 1, SOME_NEWLINES = 2, ALL_NEWLINES = 4, PRETTY = 8, IGNORE_FUNCTIONS = 16, NO_UNDEFINED = 32,
    ARRAYBUFFER_AS_ARRAY = 64, SHOW_OBJECT_NAMES = 128, DROP_QUOTES = 256, JSON_COMPATIBLE = 512, ALLOW_TOJSON = 1024;
  const LIMIT_AMOUNT = 15, LIMITED_AMOUNT = 5, LIMIT_STRING_AMOUNT = 40, LIMITED_STRING_AMOUNT = 17, ITEMS_ON_LINE = 4;
  const LIMIT_TEXT = ' ... ';
  const TYPED_NAMES = ['Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array'];
  const toTag = Object.prototype.toString;
  function typedName(v) {
    const tag = toTag.call(v).slice(8, -1);
    return TYPED_NAMES.indexOf(tag) >= 0 ? tag : 'ArrayBufferView';
  }
  const isTyped = (v) => isView(v) && !(v instanceof DataViewC);
  function escapeChar(c, jsonStyle) {
    switch (c) {
      case 0x5c: return '\\\\';
      case 0x0a: return '\\n';
      case 0x0d: return '\\r';
      case 0x09: return '\\t';
      case 0x22: return '\\"';
      case 0x08: return '\\b';
      case 0x0c: return '\\f';
      case 0x0b: return jsonStyle ? '\\u000b' : '\\v';
    }
    if (c < 32 || c >= 127) {
      const h = '0123456789ABCDEF';
      if (jsonStyle || c > 255) return '\\u' + h[(c >> 12) & 15] + h[(c >> 8) & 15] + h[(c >> 4) & 15] + h[c & 15];
      return '\\x' + h[c >> 4] + h[c & 15];
    }
    return fromCharCode(c);
  }
  function quote(s, jsonStyle) {
    let out = '"';
    for (let i = 0; i < s.length; i++) out += escapeChar(s.charCodeAt(i), jsonStyle);
    return out + '"';
  }
  const ID = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const INTEGERISH = /^-?[0-9]+$/;
  function needsNewLine(v) {
    return !(v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean');
  }
  function functionParts(f) {
    const text = fnToString.call(f);
    if (text.indexOf('[native code]') >= 0) return { params: '', body: null, native: true };
    let params = '';
    let body = '';
    const arrow = text.indexOf('=>');
    const brace = text.indexOf('{');
    const open = text.indexOf('(');
    if (arrow >= 0 && (brace < 0 || arrow < brace) && (open < 0 || open < arrow)) {
      const head = text.slice(0, arrow).trim();
      params = head.charAt(0) === '(' ? head.slice(1, -1) : head;
      const rest = text.slice(arrow + 2).trim();
      body = rest.charAt(0) === '{' ? rest.slice(1, -1) : 'return ' + rest;
    } else if (open >= 0) {
      let depth = 0, close = open;
      for (let i = open; i < text.length; i++) {
        if (text[i] === '(') depth++;
        else if (text[i] === ')' && --depth === 0) { close = i; break; }
      }
      params = text.slice(open + 1, close);
      const b = text.indexOf('{', close);
      body = b >= 0 ? text.slice(b + 1, text.lastIndexOf('}')) : '';
    }
    return { params: params.replace(/\s+/g, ''), body, native: false };
  }
  function functionText(f, limit) {
    const p = functionParts(f);
    let s = 'function (' + p.params + ') ';
    if (p.native) return s + '{ [native code] }';
    if (limit) return s + '{' + LIMIT_TEXT + '}';
    const nl = p.body.indexOf('\n') >= 0;
    return s + (nl ? '{\n  ' : '{') + p.body.trim() + (nl ? '\n}' : '}');
  }
  function constructorName(v) {
    const proto = getProto(v);
    if (proto === null || proto === Object.prototype) return null;
    const c = describeProp(proto, 'constructor');
    if (!c || typeof c.value !== 'function') return null;
    const names = keysOf(G);
    for (let i = 0; i < names.length; i++) if (G[names[i]] === c.value) return names[i];
    return null;
  }
  function json(v, flags, indent, ws, out, seen) {
    const newline = (n) => { out.s += '\n'; for (let i = 0; i < n; i++) out.s += ws; };
    if (v === undefined) { out.s += flags & NO_UNDEFINED ? 'null' : 'undefined'; return; }
    if ((typeof v === 'object' && v !== null) || typeof v === 'function') {
      if (seen.indexOf(v) >= 0) { out.s += LIMIT_TEXT; return; }
      seen.push(v);
    }
    try {
      if (isArray(v)) {
        const length = v.length;
        const limited = (flags & LIMIT) !== 0 && length > LIMIT_AMOUNT;
        let needNewLine = false;
        out.s += flags & PRETTY ? '[ ' : '[';
        let first = true;
        for (let i = 0; i < length; i++) {
          if (limited && i >= LIMITED_AMOUNT && i < length - LIMITED_AMOUNT) continue;
          const item = v[i];
          if (!first) out.s += flags & PRETTY ? ', ' : ',';
          first = false;
          if (limited && i === length - LIMITED_AMOUNT) out.s += LIMIT_TEXT;
          let newNeeds = (flags & SOME_NEWLINES) !== 0 && needsNewLine(item);
          if (flags & ALL_NEWLINES) { needNewLine = true; newNeeds = true; }
          if (needNewLine || newNeeds) { newline(indent + 1); needNewLine = false; }
          if (i in v) json(item, flags, indent + 1, ws, out, seen);
          else out.s += flags & NO_UNDEFINED ? 'null' : 'undefined';
          needNewLine = newNeeds;
        }
        if (flags & PRETTY) {
          const extra = keysOf(v).filter((k) => !INTEGERISH.test(k));
          if (extra.length > 0) needNewLine = objectItems(v, extra, flags, indent, ws, out, seen, first) || needNewLine;
        }
        if (needNewLine) newline(indent);
        out.s += flags & PRETTY ? ' ]' : ']';
      } else if (isTyped(v) || v instanceof ArrayBufferC) {
        const bytes = v instanceof ArrayBufferC;
        const view = bytes ? new Uint8Array(v) : v;
        let allZero = true;
        for (let i = 0; i < view.length; i++) if (view[i] !== 0) { allZero = false; break; }
        const asArray = (flags & ARRAYBUFFER_AS_ARRAY) !== 0;
        const name = bytes ? 'ArrayBuffer' : typedName(v);
        if (allZero && !asArray) { out.s += 'new ' + name + '(' + (bytes ? v.byteLength : view.length) + ')'; }
        else {
          out.s += asArray ? '[' : 'new ' + (bytes ? 'Uint8Array' : name) + '([';
          if (flags & ALL_NEWLINES) newline(indent + 1);
          const length = view.length;
          const limited = (flags & LIMIT) !== 0 && length > LIMIT_AMOUNT;
          for (let i = 0; i < length; i++) {
            if (limited && i >= LIMITED_AMOUNT && i < length - LIMITED_AMOUNT) continue;
            if (i > 0) out.s += flags & PRETTY ? ', ' : ',';
            if (flags & ALL_NEWLINES) newline(indent + 1);
            if (limited && i === length - LIMITED_AMOUNT) out.s += LIMIT_TEXT;
            out.s += numStr(view[i]);
          }
          if (flags & ALL_NEWLINES) newline(indent);
          out.s += asArray ? ']' : '])';
          if (bytes && !asArray) out.s += '.buffer';
        }
      } else if (typeof v === 'function') {
        if (flags & IGNORE_FUNCTIONS) out.s += 'undefined';
        else out.s += functionText(v, (flags & LIMIT) !== 0);
      } else if (typeof v === 'object' && v !== null) {
        let show = true;
        if (flags & SHOW_OBJECT_NAMES) {
          const name = constructorName(v);
          if (name !== null) {
            out.s += name + ': ';
            if (typeof v.toString === 'function' && v.toString !== Object.prototype.toString) {
              out.s += asString(v.toString());
              show = false;
            }
          }
        }
        if (show) {
          const toJSON = flags & ALLOW_TOJSON ? v.toJSON : undefined;
          if (typeof toJSON === 'function') {
            json(toJSON.call(v), flags & ~ALLOW_TOJSON, indent, ws, out, seen);
          } else {
            out.s += flags & PRETTY ? '{ ' : '{';
            const needNewLine = objectItems(v, keysOf(v), flags, indent, ws, out, seen, true);
            if (needNewLine) newline(indent);
            out.s += flags & PRETTY ? ' }' : '}';
          }
        }
      } else if (typeof v === 'string') {
        const jsonStyle = (flags & JSON_COMPATIBLE) !== 0;
        if ((flags & LIMIT) && v.length > LIMIT_STRING_AMOUNT) {
          out.s += quote(v.slice(0, LIMITED_STRING_AMOUNT), jsonStyle) + LIMIT_TEXT + quote(v.slice(v.length - LIMITED_STRING_AMOUNT), jsonStyle);
        } else out.s += quote(v, jsonStyle);
      } else if ((flags & JSON_COMPATIBLE) && typeof v === 'number' && !(v - v === 0)) {
        out.s += 'null';
      } else out.s += asString(v);
    } finally {
      if ((typeof v === 'object' && v !== null) || typeof v === 'function') seen.pop();
    }
  }
  function objectItems(obj, keys, flags, indent, ws, out, seen, first) {
    let needNewLine = false;
    let sinceNewLine = 0;
    const newline = (n) => { out.s += '\n'; for (let i = 0; i < n; i++) out.s += ws; };
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      const d = describeProp(obj, key);
      if (d && (d.get || d.set)) continue;
      const item = obj[key];
      if ((flags & IGNORE_FUNCTIONS) && typeof item === 'function') continue;
      if ((flags & NO_UNDEFINED) && item === undefined) continue;
      sinceNewLine++;
      if (!first) out.s += flags & PRETTY ? ', ' : ',';
      let newNeeds = (flags & SOME_NEWLINES) !== 0 && needsNewLine(item);
      if ((flags & SOME_NEWLINES) && sinceNewLine > ITEMS_ON_LINE) needNewLine = true;
      if (flags & ALL_NEWLINES) { needNewLine = true; newNeeds = true; }
      if (needNewLine || newNeeds) { newline(indent + 1); needNewLine = false; sinceNewLine = 0; }
      let quoted = true;
      if ((flags & DROP_QUOTES) && (INTEGERISH.test(key) || (key.length < 63 && ID.test(key)))) quoted = false;
      out.s += (quoted ? quote(key, (flags & JSON_COMPATIBLE) !== 0) : key) + (flags & PRETTY ? ': ' : ':');
      first = false;
      json(item, flags, indent + 1, ws, out, seen);
      needNewLine = newNeeds;
    }
    return needNewLine;
  }
  function toJSONText(v, flags, ws) {
    const out = { s: '' };
    json(v, flags, 0, ws === undefined ? '  ' : ws, out, []);
    return out.s;
  }

  // JSON.stringify / JSON.parse as Espruino's (numbers as it prints and reads them).
  const JSONObj = JSON;
  const jsonParse = JSON.parse;
  define(JSONObj, 'stringify', function stringify(data, replacer, space) {
    let flags = IGNORE_FUNCTIONS | NO_UNDEFINED | ARRAYBUFFER_AS_ARRAY | JSON_COMPATIBLE | ALLOW_TOJSON;
    let ws = '';
    if (space === undefined || space === null) ws = '';
    else if (typeof space === 'number') { let n = space | 0; if (n < 0) n = 0; if (n > 10) n = 10; ws = ' '.repeat(n); }
    else ws = asString(space).slice(0, 10);
    if (ws.length > 0) flags |= ALL_NEWLINES | PRETTY;
    if (typeof data === 'function') return undefined;
    return toJSONText(data, flags, ws);
  });
  define(JSONObj, 'parse', function parse(text) {
    // Arrows, and the recursive one let go at the end: a function declaration and its prototype, or
    // a closure that holds itself, is a cycle that QuickJS (reference counting here, no cycle
    // collector the simulator can run) would keep counted after every parse.
    const s = asString(text);
    let i = 0;
    const ws = () => { while (i < s.length && ' \t\n\r'.indexOf(s[i]) >= 0) i++; };
    const fail = (what) => { throw new SyntaxError('Expecting a valid value, got ' + what); };
    const str = () => {
      const q = s[i++];
      let out = '';
      while (i < s.length && s[i] !== q) {
        let c = s[i++];
        if (c === '\\') {
          c = s[i++];
          switch (c) {
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            case '0': out += '\0'; break;
            case 'x': out += fromCharCode(parseInt(s.substr(i, 2), 16)); i += 2; break;
            case 'u': out += fromCharCode(parseInt(s.substr(i, 4), 16)); i += 4; break;
            default: out += c;
          }
        } else out += c;
      }
      if (i >= s.length) fail('UNFINISHED STRING');
      i++;
      return out;
    };
    let value = () => {
      ws();
      const c = s[i];
      if (c === '"' || c === "'") return str();
      if (c === '{') {
        i++;
        const o = {};
        ws();
        while (s[i] === '"' || s[i] === "'") {
          const k = str();
          ws();
          if (s[i++] !== ':') fail("':'");
          o[k] = value();
          ws();
          if (s[i] === ',') { i++; ws(); } else break;
        }
        ws();
        if (s[i++] !== '}') fail("'}'");
        return o;
      }
      if (c === '[') {
        i++;
        const a = [];
        ws();
        while (i < s.length && s[i] !== ']') {
          a.push(value());
          ws();
          if (s[i] === ',') i++;
          else break;
          ws();
        }
        if (s[i++] !== ']') fail("']'");
        return a;
      }
      if (s.startsWith('true', i)) { i += 4; return true; }
      if (s.startsWith('false', i)) { i += 5; return false; }
      if (s.startsWith('null', i)) { i += 4; return null; }
      const m = /^-?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?/.exec(s.slice(i, i + 400));
      if (m) {
        i += m[0].length;
        return natives.parseNumber(m[0]);
      }
      return fail(i >= s.length ? 'EOF' : quote(s[i], false));
    };
    try {
      return value();
    } finally {
      value = null;
    }
  });

  // ---------------------------------------------------------------- console
  function printText(args) {
    let s = '';
    for (let i = 0; i < args.length; i++) {
      if (i > 0) s += ' ';
      s += typeof args[i] === 'string' ? args[i] : toJSONText(args[i], PRETTY | SOME_NEWLINES | SHOW_OBJECT_NAMES);
    }
    return s;
  }
  const print = function print(...args) { natives.print(printText(args)); };
  define(G, 'print', print);
  define(G, 'console', { log: function log(...args) { natives.print(printText(args)); } });
  define(G, 'global', G);

  // ---------------------------------------------------------------- timers and time
  function addTimer(fn, ms, args, repeat) {
    if (typeof fn !== 'function' && typeof fn !== 'string') throw new OrigError('Function or String not supplied!');
    return natives.setTimer(fn, +ms || 0, repeat, args);
  }
  define(G, 'setTimeout', function setTimeout(fn, ms, ...args) { return addTimer(fn, ms, args, false); });
  define(G, 'setInterval', function setInterval(fn, ms, ...args) { return addTimer(fn, ms, args, true); });
  const clear = function (name, args) {
    if (args.length === 0) { natives.clearAllTimers(); return; }
    const id = args[0];
    if (id === undefined) throw new OrigError(name + '(undefined) not allowed. Use ' + name + '() instead.');
    if (!natives.clearTimer(+id)) throw new OrigError('Unknown Timeout');
  };
  define(G, 'clearTimeout', function clearTimeout(...args) { clear('clearTimeout', args); });
  define(G, 'clearInterval', function clearInterval(...args) { clear('clearInterval', args); });
  define(G, 'changeInterval', function changeInterval(id, ms) {
    if (!natives.changeInterval(+id, +ms || 0)) throw new OrigError('Unknown Interval');
  });
  define(G, 'getTime', function getTime() { return natives.now() / 1000; });
  define(G, 'setTime', function setTime(t) { natives.setTime(+t * 1000); });
  define(OrigDate, 'now', function now() { return mathFloor(natives.now()); });
  const DateProxy = new ProxyC(OrigDate, {
    construct(target, args, newTarget) {
      return ReflectC.construct(target, args.length === 0 ? [natives.now()] : args, newTarget);
    },
    apply() { return new OrigDate(natives.now()).toString(); },
  });
  define(G, 'Date', DateProxy);
  define(OrigDate.prototype, 'constructor', DateProxy);

  // ---------------------------------------------------------------- the interpreter
  define(G, 'reset', function reset() { natives.todo('reset'); });
  define(G, 'save', function save() { natives.todo('save'); });
  define(G, 'load', function load(name) {
    if (name !== undefined) throw new OrigError('load(filename) is not modelled by the simulator');
    natives.todo('load');
  });
  define(G, 'echo', function echo(on) { natives.echo(!!on); });
  define(G, 'getSerial', function getSerial() { return '33002e00-0d513332-39333638'; });

  // ---------------------------------------------------------------- atob / btoa on binary strings
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  function bytesOf(data) {
    // jsvIterateCallback: strings give their char codes, arrays and typed arrays their elements.
    if (typeof data === 'string') { const b = []; for (let i = 0; i < data.length; i++) b.push(data.charCodeAt(i) & 255); return b; }
    if (data instanceof ArrayBufferC) return Array.prototype.slice.call(new Uint8Array(data));
    if (isView(data)) return Array.prototype.slice.call(isTyped(data) ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (typeof data === 'number') return [data & 255];
    if (isArray(data)) { let b = []; for (let i = 0; i < data.length; i++) b = b.concat(bytesOf(data[i])); return b; }
    if (data && typeof data === 'object' && 'data' in data) {
      const one = bytesOf(data.data);
      let b = [];
      const n = data.count === undefined ? 1 : data.count | 0;
      for (let i = 0; i < n; i++) b = b.concat(one);
      return b;
    }
    if (data && typeof data === 'object' && typeof data.callback === 'function') return bytesOf(data.callback());
    return [];
  }
  function binaryString(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 4096) s += fromCharCode.apply(null, bytes.slice(i, i + 4096));
    return s;
  }
  define(G, 'btoa', function btoa(data) {
    if (!(typeof data === 'string' || isArray(data) || isView(data) || data instanceof ArrayBufferC)) {
      throw new OrigError('Expecting a string or array, got ' + typeName(data));
    }
    const b = bytesOf(data);
    let s = '';
    for (let i = 0; i < b.length; i += 3) {
      const a = b[i], c1 = i + 1 < b.length ? b[i + 1] : 0, c2 = i + 2 < b.length ? b[i + 2] : 0;
      const pad = i + 1 >= b.length ? 2 : i + 2 >= b.length ? 1 : 0;
      const t = (a << 16) | (c1 << 8) | c2;
      s += B64[(t >> 18) & 63] + B64[(t >> 12) & 63] + (pad > 1 ? '=' : B64[(t >> 6) & 63]) + (pad > 0 ? '=' : B64[t & 63]);
    }
    return s;
  });
  define(G, 'atob', function atob(text) {
    if (typeof text !== 'string') throw new OrigError('Expecting a string, got ' + typeName(text));
    let i = 0;
    while (i < text.length && ' \t\n\r\v\f'.indexOf(text[i]) >= 0) i++;
    let out = '';
    while (i < text.length) {
      let triple = 0, valid = 0;
      for (let k = 0; k < 4; k++) {
        if (i < text.length) {
          const sextet = B64.indexOf(text[i++]);
          if (sextet >= 0) { triple |= sextet << ((3 - k) * 6); valid = k; }
        }
      }
      if (valid > 0) out += fromCharCode((triple >> 16) & 255);
      if (valid > 1) out += fromCharCode((triple >> 8) & 255);
      if (valid > 2) out += fromCharCode(triple & 255);
    }
    return out;
  });
  function typeName(v) {
    if (v === null) return 'null';
    if (isArray(v)) return 'Array';
    if (isTyped(v)) return typedName(v);
    const t = typeof v;
    return t === 'object' ? 'Object' : t === 'undefined' ? 'undefined' : t.charAt(0).toUpperCase() + t.slice(1);
  }

  // ---------------------------------------------------------------- memory registries
  // Live ArrayBuffers (their data is counted exactly) and live functions made by new Function (their
  // text), as parallel arrays of WeakRefs and sizes; the host reads and prunes them when it measures.
  const typedRefs = [], typedBytes = [], typedBlocks = [];
  const fnRefs = [], fnBlocks = [];
  function flatBlocks(n) {
    if (n <= ${FLAT_STRING_BREAK_EVEN}) return n <= ${STRING_FIRST_CHARS} ? 1 : 1 + Math.ceil((n - ${STRING_FIRST_CHARS}) / ${STRING_EXT_CHARS});
    return 1 + Math.ceil(n / ${BLOCK_SIZE});
  }
  function registerBuffer(buffer, inFlash) {
    typedRefs.push(new WeakRefC(buffer));
    typedBytes.push(buffer.byteLength);
    typedBlocks.push(inFlash ? 1 : flatBlocks(buffer.byteLength));
  }
  function claim(bytes) {
    // A flat string of this size must fit in what is free, or the board runs out of memory here.
    if (bytes > ${ARRAYBUFFER_MAX_BYTES} || bytes < 0) throw new OrigError('Invalid length for ArrayBuffer\n');
    if (flatBlocks(bytes) + 2 > 24 && !natives.fits(flatBlocks(bytes) + 2)) {
      natives.outOfMemory();
      for (;;) {} // the interrupt handler stops the program here, as the board's allocator does
    }
  }
  function wrapTyped(name) {
    const Orig = G[name];
    if (typeof Orig !== 'function') return;
    const size = Orig.BYTES_PER_ELEMENT || 1;
    const P = new ProxyC(Orig, {
      construct(target, args, newTarget) {
        const a = args[0];
        let fresh = true;
        if (a instanceof ArrayBufferC) fresh = false;
        if (fresh) {
          const n = typeof a === 'number' ? a : a && typeof a.length === 'number' ? a.length : 0;
          claim(n * size);
        }
        const r = ReflectC.construct(target, args, newTarget);
        if (fresh) registerBuffer(r.buffer, false);
        return r;
      },
    });
    define(G, name, P);
    define(Orig.prototype, 'constructor', P);
    return P;
  }
  for (const name of TYPED_NAMES) wrapTyped(name);
  const typedProto = getProto(Int8Array.prototype);
  for (const method of ['slice', 'map', 'filter']) {
    const orig = typedProto[method];
    define(typedProto, method, function (...args) {
      claim(this.byteLength);
      const r = orig.apply(this, args);
      if (r && r.buffer !== this.buffer) registerBuffer(r.buffer, false);
      return r;
    });
  }
  const ArrayBufferProxy = new ProxyC(ArrayBufferC, {
    construct(target, args, newTarget) {
      claim(+args[0] || 0);
      const r = ReflectC.construct(target, args, newTarget);
      registerBuffer(r, false);
      return r;
    },
  });
  define(G, 'ArrayBuffer', ArrayBufferProxy);
  define(ArrayBufferC.prototype, 'constructor', ArrayBufferProxy);

  // ---------------------------------------------------------------- code evaluated at run time
  // new Function and eval go through the host's gate and rewrites (code.ts), as the board parses them.
  function compile(kind, text, params) {
    const r = natives.compile(kind, text, params);
    if (typeof r === 'string') return r;
    const E = r[0] === 'ReferenceError' ? ReferenceError : SyntaxError;
    throw new E(r[1]);
  }
  const FunctionProxy = new ProxyC(OrigFunction, {
    apply(target, self, args) { return makeFunction(args); },
    construct(target, args) { return makeFunction(args); },
  });
  function makeFunction(args) {
    // jswrap_function_constructor: each argument is one parameter name, taken whole. "a, b" is not
    // two parameters there but one that no code can name: it stands here as a name nothing reads.
    const params = args.slice(0, -1).map((p, i) => {
      const name = asString(p);
      return /^[A-Za-z_$][\w$]*$/.test(name) ? name : '__unnamed' + i;
    }).join(',');
    const body = args.length > 0 ? asString(args[args.length - 1]) : '';
    const src = compile('function', body, params);
    const fn = indirectEval(src);
    // QuickJS frees by reference counting, and the simulator cannot run its cycle collector; a
    // function and its prototype object point at each other, so a made function would stay counted
    // forever here, where Espruino's mark-and-sweep frees it once unreachable. Its prototype goes.
    fn.prototype = null;
    fnRefs.push(new WeakRefC(fn));
    fnBlocks.push(natives.lastCodeBlocks());
    return fn;
  }
  define(G, 'Function', FunctionProxy);
  define(OrigFunction.prototype, 'constructor', FunctionProxy);
  const evalEsp = function (code) {
    if (typeof code !== 'string') return code;
    return indirectEval(compile('eval', code, ''));
  };
  Object.defineProperty(evalEsp, 'name', { value: 'eval' });
  define(G, 'eval', evalEsp);

  // ---------------------------------------------------------------- Math, as the Pico's build has it
  const MathObj = Math;
  const PI = Math.PI;
  function sin(x) {
    // SAVE_ON_FLASH_MATH: a Taylor series after folding x into [-PI/2, PI/2].
    x = +x;
    const xi = (x / PI) | 0;
    x -= xi * PI;
    if (x > PI / 2) x = PI - x;
    let r = x, xpow = x, factorial = 1;
    const x2 = x * x;
    for (let i = 1; i < 10; i++) {
      xpow = xpow * x2;
      factorial = (factorial * ((i * 2) * (i * 2 + 1))) >>> 0;
      const term = xpow / factorial;
      if (i & 1) r -= term; else r += term;
    }
    if (xi & 1) r = -r;
    return r;
  }
  function atan(x) {
    x = +x;
    let negate = false, offset = false;
    if (x < 0) { x = -x; negate = true; }
    if (x > 1) { x = 1 / x; offset = true; }
    let r = x, xpow = x;
    const x2 = x * x;
    for (let i = 1; i < 20; i++) {
      xpow = xpow * x2;
      const term = xpow / (i * 2 + 1);
      if (i & 1) r -= term; else r += term;
    }
    if (offset) r = PI / 2 - r;
    if (negate) r = -r;
    return r;
  }
  function mod(x, y) {
    const c = x;
    if (!(x - x === 0) || y !== y) return NaN;
    if (0 > c) x = -x;
    if (0 > y) y = -y;
    if (y !== 0 && OrigNumber.MAX_VALUE >= y && OrigNumber.MAX_VALUE >= x) {
      while (x >= y) {
        let a = x / 2, b = y;
        while (a >= b) b *= 2;
        x -= b;
      }
    } else x = 0;
    return 0 > c ? -x : x;
  }
  const methods = {
    sin, cos: (x) => sin(+x + PI / 2), tan: (x) => sin(+x) / sin(+x + PI / 2), atan,
    asin: (x) => atan(x / MathObj.sqrt(1 - x * x)),
    acos: (x) => PI / 2 - atan(x / MathObj.sqrt(1 - x * x)),
    atan2(y, x) {
      if (x > 0) return atan(y / x);
      if (x < 0) return y >= 0 ? atan(y / x) + PI : atan(y / x) - PI;
      return y > 0 ? PI / 2 : y < 0 ? -PI / 2 : NaN;
    },
    // jswrap_math_pow: small integer powers by repeated products, the rest as exp(log(x)·y), so
    // Math.pow(2, 53) is 2^53 − 6.
    pow(x, y) {
      x = +x; y = +y;
      const yi = y | 0;
      if (yi >= 0 && yi < 10 && yi === y) {
        if (yi === 0) return 1;
        let p = x;
        for (let k = yi; k > 1; k--) p *= x;
        return p;
      }
      if (x < 0 && mod(y, 1) === 0) return mod(y, 2) === 0 ? mathExp(mathLog(-x) * y) : -mathExp(mathLog(-x) * y);
      if (x !== 0 || 0 >= y) return mathExp(mathLog(x) * y);
      return 0;
    },
    // jswrap_math_sqrt: exp(log(x)·0.5), not the correctly rounded square root (Math.sqrt(2) is 1.414213562373095).
    sqrt: (x) => (x >= 0 ? mathExp(mathLog(x) * 0.5) : NaN),
    // jswrap_math_round: add ±0.5 and truncate (Math.round(-2.5) is -3).
    round(x) {
      x = +x;
      if (!(x - x === 0) || (x === 0 && 1 / x < 0)) return x;
      x += x < 0 ? -0.5 : 0.5;
      const i = x < 0 ? Math.ceil(x) : mathFloor(x);
      if (i === 0 && x < 0) return -0;
      return i;
    },
    clip: (x, min, max) => (x < min ? min : x > max ? max : x),
    wrap(x, size) { x = x / size; x = x - (x | 0); return x * size; },
  };
  for (const name of keysOf(methods)) define(MathObj, name, methods[name]);

  // ---------------------------------------------------------------- E and process
  const E = {};
  const listeners = {};
  define(E, 'on', function on(event, fn) { (listeners[event] = listeners[event] || []).push(fn); });
  define(E, 'removeAllListeners', function removeAllListeners(event) { if (event === undefined) { for (const k of keysOf(listeners)) delete listeners[k]; } else delete listeners[event]; });
  define(E, 'emit', function emit(event, ...args) { for (const fn of (listeners[event] || []).slice()) fn.apply(E, args); });
  define(E, 'getConsole', function getConsole() { return 'USB'; });
  define(E, 'toString', function toString(...args) { return binaryString(bytesOf(args.length === 1 ? args[0] : args)); });
  define(E, 'toUint8Array', function toUint8Array(...args) {
    const b = bytesOf(args.length === 1 ? args[0] : args);
    return new G.Uint8Array(b);
  });
  define(E, 'toArrayBuffer', function toArrayBuffer(str) { return new G.Uint8Array(bytesOf(asString(str))).buffer; });
  define(E, 'toJS', function toJS(v) { return toJSONText(v, 0); });
  // The bytes cross as an array of numbers: a string handed to the host would end at its first NUL.
  define(E, 'CRC32', function CRC32(data) { return natives.crc32(bytesOf(data)); });
  define(E, 'getSizeOf', function getSizeOf(v) { return sizeOf(v, []); });
  define(E, 'getErrorFlags', function getErrorFlags() { return natives.takeErrorFlags(); });
  define(E, 'setBootCode', function setBootCode(code, alwaysExec) { natives.setBootCode(code === undefined ? '' : asString(code), !!alwaysExec); });
  define(E, 'setFlags', function setFlags() {});
  define(E, 'getFlags', function getFlags() { return { deepSleep: 0, pretokenise: 0, unsafeFlash: 0, unsyncFiles: 0, jitDebug: 0, unsafeTimeout: 0 }; });
  define(E, 'sum', function sum(arr) { let s = 0; for (let i = 0; i < arr.length; i++) s += arr[i]; return s; });
  define(E, 'variance', function variance(arr, mean) { let s = 0; for (let i = 0; i < arr.length; i++) { const d = arr[i] - mean; s += d * d; } return s / arr.length; });
  define(E, 'clip', methods.clip);
  define(E, 'reboot', function reboot() { natives.todo('reboot'); });
  define(G, 'E', E);

  const processObj = {};
  define(processObj, 'version', '${ESPRUINO_VERSION}');
  Object.defineProperty(processObj, 'env', { get: () => jsonParse(natives.env()), enumerable: true, configurable: true });
  define(processObj, 'memory', function memory(gc) {
    const m = natives.memory();
    return {
      free: m[0], usage: m[1], total: m[2], history: m[3],
      gc: 0, gctime: 0.1953125, blocksize: ${BLOCK_SIZE},
      stackEndAddress: 536910472, stackFree: 39144,
      flash_start: 134217728, flash_binary_end: 134504380, flash_code_start: 134234112, flash_length: 393216,
    };
  });
  define(processObj, 'on', function on(event, fn) { (listeners['process.' + event] = listeners['process.' + event] || []).push(fn); });
  define(G, 'process', processObj);

  // Storage: require("Storage"), a view on the board's flash files (the host keeps them).
  function storageData(data) {
    if (typeof data === 'string') return data;
    if (data !== null && typeof data === 'object' && !isArray(data) && !isView(data) && !(data instanceof ArrayBufferC)) return JSONObj.stringify(data);
    return binaryString(bytesOf(data));
  }
  function storageCall(r) {
    if (isArray(r) && r[0] === 'error') throw new OrigError(r[1]);
    return r;
  }
  const Storage = {};
  define(Storage, 'write', function write(name, data, offset, size) {
    const d = storageData(data);
    const plain = data !== null && typeof data === 'object' && !isArray(data) && !isView(data) && !(data instanceof ArrayBufferC);
    return storageCall(natives.storageWrite(asString(name), d, plain ? 0 : offset | 0, plain ? 0 : size | 0));
  });
  define(Storage, 'writeJSON', function writeJSON(name, data) { return storageCall(natives.storageWrite(asString(name), JSONObj.stringify(data), 0, 0)); });
  define(Storage, 'read', function read(name, offset, length) {
    const r = natives.storageRead(asString(name), offset | 0, length | 0);
    return r === null ? undefined : r;
  });
  define(Storage, 'readJSON', function readJSON(name, noExceptions) {
    const r = natives.storageRead(asString(name), 0, 0);
    if (r === null) return undefined;
    try { return JSONObj.parse(r); } catch (e) { if (noExceptions) return undefined; throw e; }
  });
  define(Storage, 'readArrayBuffer', function readArrayBuffer(name) {
    const r = natives.storageRead(asString(name), 0, 0);
    if (r === null) return undefined;
    const b = new Uint8Array(r.length);
    for (let i = 0; i < r.length; i++) b[i] = r.charCodeAt(i);
    registerBuffer(b.buffer, true);
    return b.buffer;
  });
  define(Storage, 'erase', function erase(name) { natives.storageErase(asString(name)); });
  define(Storage, 'eraseAll', function eraseAll() { natives.storageEraseAll(); });
  define(Storage, 'list', function list(regex) {
    const names = natives.storageList();
    return regex instanceof RegExp ? names.filter((n) => regex.test(n)) : names;
  });
  define(Storage, 'compact', function compact() {});
  define(Storage, 'getFree', function getFree() { return natives.storageStats()[1]; });
  define(Storage, 'getStats', function getStats() {
    const s = natives.storageStats();
    return { totalBytes: s[0], freeBytes: s[1], fileBytes: s[2], fileCount: s[3], trashBytes: 0, trashCount: 0 };
  });
  define(G, 'require', function require(name) {
    if (name === 'Storage') return Storage;
    throw new OrigError('Module ' + asString(name) + ' not found');
  });

  // ---------------------------------------------------------------- what Espruino 2v29 does not have
  // The build's table (host/build/espruino-syntax.ts, ESPRUINO_ABSENT): what it refuses is what is
  // missing here, so a bundle that slips one past the build fails here as on the board.
  const absent = ${JSON.stringify(ESPRUINO_ABSENT)};
  const owners = {
    Math: MathObj, Number: OrigNumber, 'Number.prototype': OrigNumber.prototype, Array: Array, 'Array.prototype': Array.prototype,
    'TypedArray.prototype': typedProto, String: OrigString, 'String.prototype': OrigString.prototype, Object: Object,
    Promise: Promise, Error: OrigError, global: G,
  };
  const drop = Object.keys(absent).map((k) => [owners[k], absent[k]]);
  for (const [obj, names] of drop) {
    for (const name of names) {
      try { delete obj[name]; } catch (_) { /* non-configurable: stays */ }
    }
  }

  // ---------------------------------------------------------------- E.getSizeOf
  function nameBlocks(name) {
    return name.length <= ${NAME_CHARS} ? 1 : 1 + Math.ceil((name.length - ${NAME_CHARS}) / ${STRING_EXT_CHARS});
  }
  function valueBlocks(v, seen) {
    switch (typeof v) {
      case 'number': return v === (v | 0) && v >= -4096 && v < 4096 ? 0 : 1;
      case 'boolean': return 1;
      case 'undefined': return 0;
      case 'string': return v.length <= ${STRING_FIRST_CHARS} ? 1 : 1 + Math.ceil((v.length - ${STRING_FIRST_CHARS}) / ${STRING_EXT_CHARS});
      default: return v === null ? 1 : sizeOf(v, seen);
    }
  }
  function sizeOf(v, seen) {
    if (typeof v !== 'object' && typeof v !== 'function') return valueBlocks(v, seen) || 1;
    if (v === null) return 1;
    if (seen.indexOf(v) >= 0) return 0;
    seen.push(v);
    if (v instanceof ArrayBufferC) return 1 + flatBlocks(v.byteLength);
    if (isView(v)) return 1 + (seen.indexOf(v.buffer) >= 0 ? 0 : (seen.push(v.buffer), 1 + flatBlocks(v.buffer.byteLength)));
    let n = 1;
    if (typeof v === 'function') {
      const p = functionParts(v);
      if (!p.native) {
        n += 1 + flatBlocks(p.body.length + 2);
        for (const param of p.params.split(',')) if (param) n += nameBlocks(param);
      }
    }
    if (isArray(v)) {
      for (let i = 0; i < v.length; i++) if (i in v) n += 1 + (typeof v[i] === 'number' && v[i] === (v[i] | 0) && v[i] >= -4096 && v[i] < 4096 ? 0 : valueBlocks(v[i], seen));
      return n;
    }
    for (const k of keysOf(v)) {
      const item = v[k];
      const inline = typeof item === 'number' && item === (item | 0) && item >= -4096 && item < 4096;
      n += nameBlocks(k) + (inline ? 0 : valueBlocks(item, seen));
    }
    return n;
  }

  // ---------------------------------------------------------------- helpers for the host
  return {
    /** The console's \`=value\` text (jsfPrintJSON with JSON_LIMIT, SOME_NEWLINES, PRETTY, SHOW_OBJECT_NAMES, DROP_QUOTES). */
    result(v) { return toJSONText(v, LIMIT | SOME_NEWLINES | PRETTY | SHOW_OBJECT_NAMES | DROP_QUOTES); },
    /** [the text after "Uncaught ", the QuickJS stack or '', whether it is an object]. */
    describe(e) {
      let text;
      try {
        if (e instanceof OrigError) text = asString(e.name) + ': ' + asString(e.message);
        else text = asString(e);
      } catch (_) { text = '?'; }
      let stack = '';
      try { if (e !== null && typeof e === 'object' && typeof e.stack === 'string') stack = e.stack; } catch (_) {}
      return [text, stack];
    },
    /** Live typed-array data, live new Function code, and the registries' own objects; prunes dead entries. */
    tracked() {
      let bytes = 0, blocks = 0, count = 0, fn = 0;
      for (let i = typedRefs.length - 1; i >= 0; i--) {
        if (typedRefs[i].deref() === undefined) { typedRefs.splice(i, 1); typedBytes.splice(i, 1); typedBlocks.splice(i, 1); }
        else { bytes += typedBytes[i]; blocks += typedBlocks[i]; count++; }
      }
      for (let i = fnRefs.length - 1; i >= 0; i--) {
        if (fnRefs[i].deref() === undefined) { fnRefs.splice(i, 1); fnBlocks.splice(i, 1); }
        else fn += fnBlocks[i];
      }
      // Strings held by global variables (QuickJS's inventory leaves them out).
      let strings = 0;
      const names = keysOf(G);
      for (let i = 0; i < names.length; i++) {
        const d = describeProp(G, names[i]);
        if (d && typeof d.value === 'string') strings += valueBlocks(d.value, []);
      }
      return [bytes, blocks, count, fn, strings, typedRefs.length + fnRefs.length, 3 * typedRefs.length + 2 * fnRefs.length];
    },
    /** E.on('init') handlers, then onInit() (jsiSoftInit). */
    init(echo) {
      E.emit('init');
      if (typeof G.onInit === 'function') {
        if (echo) natives.print('Running onInit()...');
        G.onInit();
      }
    },
    /** E.on('kill') handlers (jsiSoftKill). */
    kill() { E.emit('kill'); },
    /** process.on('uncaughtException') handlers: true when there were some. */
    uncaught(e) {
      const fns = listeners['process.uncaughtException'];
      if (!fns || fns.length === 0) return false;
      for (const fn of fns.slice()) fn(e);
      return true;
    },
  };
})`;
