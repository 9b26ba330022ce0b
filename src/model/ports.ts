/** Port lists in settings: `4040-4050`, `4040,4041,4050-4052`. Invalid parts are ignored. */
export function parsePortList(spec: string, max = 200): number[] {
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5}))?\s*$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    for (let p = Math.min(a, b); p <= Math.max(a, b) && out.size < max; p++) if (p > 0 && p < 65536) out.add(p);
  }
  return [...out];
}

/** Normalises a source URL: scheme required, path kept, trailing slashes dropped. Undefined when invalid. */
export function normaliseSourceUrl(url: string): string | undefined {
  try {
    const u = new URL(url.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    u.hash = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/**
 * Which group (tree root) a source belongs to: the configured group, else its host, with every
 * loopback name folded into `local`. A live driver and the History Server of the same host meet
 * in one group, which is what lets an application keep its node when its driver ends.
 */
export function sourceGroup(url: string, configured?: string): string {
  if (configured && configured.trim()) return configured.trim();
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host) ? 'local' : host;
  } catch {
    return 'local';
  }
}
