// What the virtual Espruino says about itself: Espruino 2v29 on an Espruino Pico (boards/PICO_R1_3.py),
// as its source builds it. Every figure here is read from espruino/Espruino, except where a note says
// it is an estimate.

export const ESPRUINO_VERSION = '2v29';
/** PC_BOARD_ID of boards/PICO_R1_3.py. */
export const BOARD_ID = 'PICO_R1_3';
export const BOARD_NAME = 'Espruino Pico';
/** `'variables' : 5100` in boards/PICO_R1_3.py. */
export const PICO_VARIABLES = 5100;
/** sizeof(JsVar) on a 32-bit board with 13-bit references (JSVAR_CACHE_SIZE <= 8191, src/jsutils.h). */
export const BLOCK_SIZE = 13;
/** Characters held by a string's first block (JSVAR_DATA_STRING_LEN: 4 + 3·13 bits). */
export const STRING_FIRST_CHARS = 8;
/** Characters held by each following block (JSVAR_DATA_STRING_MAX_LEN: 4 + (3·13 + 4) bits). */
export const STRING_EXT_CHARS = 9;
/** Characters a property name holds in its own block (JSVAR_DATA_STRING_NAME_LEN). */
export const NAME_CHARS = 4;
/** Above this length a string is stored flat, 13 characters a block after a header (JSV_FLAT_STRING_BREAK_EVEN). */
export const FLAT_STRING_BREAK_EVEN = STRING_FIRST_CHARS + STRING_EXT_CHARS;
/** An ArrayBuffer longer than this is refused (`Invalid length for ArrayBuffer`, src/jswrap_arraybuffer.c). */
export const ARRAYBUFFER_MAX_BYTES = 65535;

/** chip 'ram' 96 KB, 'flash' 384 KB. */
export const RAM_BYTES = 96 * 1024;
export const FLASH_BYTES = 384 * 1024;
/** 'saved_code': 3 pages of 16 KB at 0x08004000: the Storage area. */
export const STORAGE_BYTES = 3 * 16384;
export const FLASH_START = 0x08000000;
export const FLASH_CODE_START = 0x08004000;
/** sizeof(JsfFileHeader): a 4-byte size and a 28-byte name; files are 4-byte aligned (JSF_ALIGNMENT). */
export const FILE_HEADER_BYTES = 32;
export const FILE_NAME_MAX = 28;

/** The Storage files the interpreter reads itself (src/jsflash.c). */
export const BOOT_CODE_FILE = '.bootcde';
export const BOOT_CODE_RESET_FILE = '.bootrst';
export const VAR_IMAGE_FILE = '.varimg';

/**
 * The banner jsiSemiInit prints when echo is on and no saved code is loaded (src/jsinteractive.c): the
 * `\e[?7l` (no word wrap) that non-Linux builds send, the logo, the version line. The Pico is an
 * official board (ESPR_OFFICIAL_BOARD), so there is no donation text. The copyright year is the one
 * expected for 2v29 (2025): the stored copies of the source are older and say 2021.
 */
export const BANNER =
  '\x1b[?7l\n' +
  ' ____                 _ \n' +
  '|  __|___ ___ ___ _ _|_|___ ___ \n' +
  '|  __|_ -| . |  _| | | |   | . |\n' +
  '|____|___|  _|_| |___|_|_|_|___|\n' +
  '         |_| espruino.com\n' +
  ` ${ESPRUINO_VERSION} (c) 2025 G.Williams\n`;

/** process.env, as jswrap_process_env builds it for this board (SERIAL and EXPTR are made-up values of the right form). */
export function processEnv(): Record<string, string | number> {
  return {
    VERSION: ESPRUINO_VERSION,
    GIT_COMMIT: 'd8fc8c1f0e9cbd0a657adfd3f666b34364af108f'.slice(0, 8),
    BOARD: BOARD_ID,
    RAM: RAM_BYTES,
    FLASH: FLASH_BYTES,
    STORAGE: STORAGE_BYTES,
    SERIAL: '33002e00-0d513332-39333638',
    CONSOLE: 'USB',
    MODULES: 'Flash,Storage,heatshrink,net,dgram,http,NetworkJS,Wifi,tv,crypto,neopixel',
    EXPTR: 536871148,
  };
}

/**
 * Error flags (JsErrorFlags in src/jsutils.h), in the order jswrap_espruino_getErrorFlagArray lists
 * them: `New interpreter error: LOW_MEMORY,MEMORY`.
 */
export const ERROR_FLAGS = ['FIFO_FULL', 'BUFFER_FULL', 'CALLBACK', 'LOW_MEMORY', 'MEMORY', 'MEMORY_BUSY', 'UART_OVERFLOW'] as const;
export type ErrorFlag = (typeof ERROR_FLAGS)[number];
