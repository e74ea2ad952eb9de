/**
 * A small in-memory response cache (the seed's L1 at the edge): entries live at most
 * `maxAgeMs`, the oldest go first beyond `maxEntries`, and concurrent misses for one key share
 * one upstream request (no stampede on a hot product).
 */
export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | null;
  storedAt: number;
  expiresAt: number;
}

export class MicroCache {
  private readonly entries = new Map<string, CachedResponse>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: Omit<CachedResponse, 'storedAt' | 'expiresAt'>, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key); // re-inserted at the end: the Map's order is the eviction order
    const now = this.now();
    this.entries.set(key, { ...entry, storedAt: now, expiresAt: now + ttlMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Runs `fill` once per key at a time; callers that arrive meanwhile wait for it. Returns whether this caller filled. */
  async once(key: string, fill: () => Promise<void>): Promise<boolean> {
    const running = this.inFlight.get(key);
    if (running) {
      await running.catch(() => undefined);
      return false;
    }
    const promise = fill().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    await promise;
    return true;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** How long a response may be kept: its `public, max-age` (or `s-maxage`), never above `capMs`; 0 = not at all. */
export function ttlFor(cacheControl: string | undefined, capMs: number): number {
  if (!cacheControl || capMs <= 0) return 0;
  const directives = cacheControl.toLowerCase().split(',').map((d) => d.trim());
  if (!directives.includes('public') || directives.some((d) => d === 'no-store' || d === 'private' || d === 'no-cache')) return 0;
  const age = directives.find((d) => d.startsWith('s-maxage=')) ?? directives.find((d) => d.startsWith('max-age='));
  const seconds = age ? Number(age.split('=')[1]) : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, capMs) : 0;
}
