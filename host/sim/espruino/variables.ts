// The virtual Espruino's memory: Espruino counts memory in variables (JsVar blocks of 13 bytes on a
// 32-bit board, src/jsvar.h). The sandbox is QuickJS, which counts bytes in its own layout, so the
// count is rebuilt from what QuickJS reports and from what the simulator tracks itself:
//
//  - Objects, arrays, functions, typed-array views and ArrayBuffers: one variable each
//    (QuickJS obj_count). Espruino's function variable, object variable and array variable are one
//    block each too.
//  - Properties: 1.5 variables each (QuickJS prop_count). In Espruino every property is a name
//    variable; a name of more than 4 characters spills into a second block, a small integer value
//    lives in the name, any other value (a float, a string, true, null) takes a block of its own.
//    1.5 is the middle of that range; QuickJS's own per-function `length`/`name` properties stand in
//    for Espruino's hidden code and scope names.
//  - Array elements: 1.5 each (QuickJS fast_array_elements): an index name, plus a value block
//    unless the element is a small integer or an object (counted as an object).
//  - Typed-array data: exact. The sandbox registers every ArrayBuffer it creates; a buffer of more
//    than 17 bytes is a flat string, 1 header block + ceil(bytes / 13) (jsvNewFlatStringOfLength),
//    so `new Float32Array(1000)` is 1 + 308 + the ArrayBuffer + the view = 311 blocks.
//  - Strings: QuickJS's count and size of the strings held by objects, arrays and closures
//    (str_count, str_size: n characters and a 17-byte record each), as Espruino stores a string built
//    by the interpreter: 1 + ceil((n − 8) / 9) blocks. QuickJS does not count the strings held by
//    global variables; the sandbox adds those itself from the global object.
//  - Code: Espruino keeps each function's source text in variables when the code came from the
//    console (a flat string, 1 + ceil(length / 13) blocks) and one block pointing into flash when it
//    ran from Storage. The simulator counts, for every chunk of code it evaluates, the text of the
//    functions in it (each function once) — and for `new Function`, the text of each live function.
//  - The line being executed (and the one being typed) is a string in variables too.
// QuickJS's byte code, atoms (names) and shapes have no Espruino counterpart and are left out.
import { BLOCK_SIZE, FLAT_STRING_BREAK_EVEN, NAME_CHARS, STRING_EXT_CHARS, STRING_FIRST_CHARS } from './board-facts.ts';

/** Variables in use on a freshly booted board before anything runs: the root, the hidden root with `timers` and `watches` (names of 2 blocks and their arrays), the event queue, the input line, and the interpreter's own few (an estimate from src/jsinteractive.c; no Pico measurement). */
export const BOOT_VARIABLES = 22;
export const PROPERTY_VARIABLES = 1.5;
export const ELEMENT_VARIABLES = 1.5;
/** QuickJS's bytes for a string beyond its characters (its record and the final NUL). */
export const QUICKJS_STRING_OVERHEAD = 17;

/** Blocks of a string built character by character (the input line, concatenations). */
export function stringBlocks(length: number): number {
  if (length <= STRING_FIRST_CHARS) return 1;
  return 1 + Math.ceil((length - STRING_FIRST_CHARS) / STRING_EXT_CHARS);
}

/** Blocks of a string stored flat when it can be (code copied from the lexer, ArrayBuffer data). */
export function flatBlocks(length: number): number {
  if (length <= FLAT_STRING_BREAK_EVEN) return stringBlocks(length);
  return 1 + Math.ceil(length / BLOCK_SIZE);
}

/** Blocks of a property or parameter name. */
export function nameBlocks(name: string): number {
  return name.length <= NAME_CHARS ? 1 : 1 + Math.ceil((name.length - NAME_CHARS) / STRING_EXT_CHARS);
}

/** A typed array's cost: its view, its ArrayBuffer and the data. */
export function typedArrayBlocks(bytes: number): number {
  return 2 + flatBlocks(bytes);
}

/** The fields of QuickJS's JS_ComputeMemoryUsage that the model reads. */
export interface Inventory {
  obj_count: number;
  prop_count: number;
  str_count: number;
  str_size: number;
  fast_array_elements: number;
}

export const INVENTORY_FIELDS: readonly (keyof Inventory)[] = ['obj_count', 'prop_count', 'str_count', 'str_size', 'fast_array_elements'];

/** What the sandbox tracks itself: live typed-array data, live `new Function` code, strings in global variables, and its own bookkeeping objects. */
export interface Tracked {
  typedBytes: number;
  typedBlocks: number;
  typedCount: number;
  functionBlocks: number;
  globalStringBlocks: number;
  /** Objects and array elements of the registries themselves, to leave out. */
  bookkeepingObjects: number;
  bookkeepingElements: number;
}

/** Variables used by what the program made since `base` (the inventory once the globals were installed). */
export function modelVariables(now: Inventory, base: Inventory, tracked: Tracked): number {
  const objects = Math.max(0, now.obj_count - base.obj_count - tracked.bookkeepingObjects);
  const props = Math.max(0, now.prop_count - base.prop_count);
  const elements = Math.max(0, now.fast_array_elements - base.fast_array_elements - tracked.bookkeepingElements);
  const strings = Math.max(0, now.str_count - base.str_count);
  const chars = Math.max(0, now.str_size - base.str_size - QUICKJS_STRING_OVERHEAD * strings);
  // 1 block for the first 8 characters of each string, a block per 9 after that.
  const stringVariables = strings + Math.max(0, chars - STRING_FIRST_CHARS * strings) / STRING_EXT_CHARS;
  return Math.round(
    objects +
      PROPERTY_VARIABLES * props +
      ELEMENT_VARIABLES * elements +
      stringVariables +
      tracked.typedBlocks +
      tracked.globalStringBlocks +
      tracked.functionBlocks,
  );
}
