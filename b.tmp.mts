import { buildFirmware } from '/work/main/host/build/firmware.ts';
import { writeFileSync } from 'node:fs';
writeFileSync(process.argv[2], (await buildFirmware({ write: false })).code);
