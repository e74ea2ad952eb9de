/** How long a response may be kept: its `public, max-age` (or `s-maxage`), never above `capMs`; 0 = not at all. */
export function ttlFor(cacheControl: string | undefined, capMs: number): number {
  if (!cacheControl || capMs <= 0) return 0;
  const directives = cacheControl.toLowerCase().split(',').map((d) => d.trim());
  if (!directives.includes('public') || directives.some((d) => d === 'no-store' || d === 'private' || d === 'no-cache')) return 0;
  const age = directives.find((d) => d.startsWith('s-maxage=')) ?? directives.find((d) => d.startsWith('max-age='));
  const seconds = age ? Number(age.split('=')[1]) : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, capMs) : 0;
}
