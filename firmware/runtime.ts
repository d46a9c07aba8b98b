// The runtime the firmware runs on. main.ts imports this module; the Kaluma build (and the desktop's
// type check) gets kaluma.ts through it, and the Espruino build resolves it to espruino.ts instead
// (host/build/espruino.ts), so that neither bundle carries the other runtime's code.
export * from './kaluma.ts';
