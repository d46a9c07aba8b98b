// Reads back what a figure drew, from the class names and data-* attributes the figures write.

export function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

/** Every element whose class list contains `cls` (the opening tag's attributes). */
export function elements(svg: string, cls: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const m of svg.matchAll(/<(\w+)\s([^>]*)>/g)) {
    const a = attrs(m[2]);
    if (a.class && a.class.split(' ').includes(cls)) out.push({ tag: m[1], ...a });
  }
  return out;
}

export function tickLabels(svg: string, axis: 'x' | 'y'): string[] {
  return [...svg.matchAll(new RegExp(`<text class="tick ${axis}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]);
}

export function domain(svg: string, axis: 'x' | 'y'): [number, number] {
  const g = elements(svg, 'axis').find((a) => a.class === `axis ${axis}`);
  if (!g) throw new Error(`no ${axis} axis`);
  const [lo, hi] = g['data-domain'].split(',').map(Number);
  return [lo, hi];
}

export function legendLabels(svg: string): string[] {
  return elements(svg, 'entry').map((e) => e['data-label']);
}
