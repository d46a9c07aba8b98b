// Ambient types for the Kaluma 1.2.1 globals the firmware uses beyond ES2019 (see
// ../shared/runtime-facts.md). setTimeout, console and process come from the project's Node types;
// the bundle check in host/build rejects any Node-only global that slips in.

/** Milliseconds since boot. */
declare function millis(): number;

/** Replaced by esbuild at build time with package.json's version. */
declare const __FIRMWARE_VERSION__: string;
