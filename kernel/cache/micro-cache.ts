/**
 * A small in-process cache with short lifetimes (the seed's L1): an entry lives for the TTL it
 * was stored with, the oldest go first beyond `maxEntries`, and concurrent misses for one key
 * share one fill (no stampede on a hot product). Used by the gateway for public responses and
 * by the catalog's readers for product lookups.
 */
export interface Cached<T> {
  value: T;
  storedAt: number;
  expiresAt: number;
}

export class MicroCache<T> {
  private readonly entries = new Map<string, Cached<T>>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): Cached<T> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: T, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key); // re-inserted at the end: the Map's order is the eviction order
    const now = this.now();
    this.entries.set(key, { value, storedAt: now, expiresAt: now + ttlMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Runs `fill` once per key at a time; callers that arrive meanwhile wait for it. Returns whether this caller filled. */
  async once(key: string, fill: () => Promise<void>): Promise<boolean> {
    // One fill per key at a time; the callers that waited read what it stored.
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
