// A board of this computer that was unplugged, found again when it is plugged back in: the port
// with its USB serial number (a virtual board keeps one across a replug too, host/sim-registry.ts),
// or, for a port without one, its path.
import { connectBoard, type BoardSession } from '../board-session.ts';
import { listPorts } from '../link/port.ts';

/** The serial number of the board on `path`, while it is there (undefined when its port has none). */
export async function serialOf(path: string): Promise<string | undefined> {
  return (await listPorts()).find((p) => p.path === path)?.serialNumber;
}

/**
 * Waits for the board to be plugged back in, looking every `everyMs`, until `over()`: a session
 * with it (its firmware answered), or null. A board that is back but does not answer yet (still
 * booting) is asked again at the next look.
 */
export async function awaitReplug(path: string, serial: string | undefined, over: () => boolean, everyMs = 500): Promise<BoardSession | null> {
  while (!over()) {
    await new Promise((r) => setTimeout(r, everyMs));
    if (over()) return null;
    const ports = await listPorts().catch(() => []);
    const port = ports.find((p) => (serial !== undefined ? p.serialNumber === serial : p.path === path));
    if (!port) continue;
    try {
      const session = await connectBoard({ port: port.path, hub: 'host distributed' });
      if (!over()) return session;
      await session.close();
    } catch {
      // Not ready yet.
    }
  }
  return null;
}
