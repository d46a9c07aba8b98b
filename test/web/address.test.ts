// The page's addresses for the class and their QR codes (host/web/address.ts).
import { describe, expect, it } from 'vitest';
import { beyondLoopback, classroomUrls, qrForTerminal, qrSvg } from '../../host/web/address.ts';
import { localAddresses } from '../../host/web/server.ts';

describe('classroom addresses', () => {
  it('are none on this computer only, every network address for 0.0.0.0, and the one given otherwise', () => {
    expect(beyondLoopback('127.0.0.1')).toBe(false);
    expect(classroomUrls('127.0.0.1', 8080)).toEqual([]);
    expect(classroomUrls('0.0.0.0', 8080)).toEqual(localAddresses().map((a) => (a.includes(':') ? `http://[${a}]:8080/` : `http://${a}:8080/`)));
    expect(classroomUrls('192.168.1.20', 8080)).toEqual(['http://192.168.1.20:8080/']);
  });

  it('come with a QR code for the terminal and for the page', async () => {
    const t = await qrForTerminal('http://192.168.1.20:8080/');
    expect(t.split('\n').length).toBeGreaterThan(10);
    expect(await qrSvg('http://192.168.1.20:8080/')).toMatch(/^<svg[^>]*viewBox/);
  });
});
