/**
 * Token buckets, one per client key, in memory. Each bucket holds up to `burst` tokens and
 * refills at `ratePerSecond`; a request takes one token or is refused. Time comes from an
 * injectable clock so the rules are tested without waiting.
 *
 * Memory stays bounded without timers: the map is kept in least-recently-used order (a
 * touched key is re-inserted at the end), so idle buckets sit at the front. A bucket idle long
 * enough to have refilled completely is the same as no bucket, so it is dropped for free; and
 * past `maxBuckets` the least recently used bucket goes even if not full (that client gets a
 * fresh bucket: the limit loosens for it, it never tightens for anyone).
 */
export interface BucketOptions {
  ratePerSecond: number;
  burst: number;
  /** Most buckets kept at once; ~100 bytes each. */
  maxBuckets?: number;
  now?: () => number;
}

export interface TakeResult {
  allowed: boolean;
  /** The bucket's capacity (the `RateLimit-Limit` header). */
  limit: number;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until a token is available again; 0 when allowed. */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxBuckets: number;
  private readonly now: () => number;
  /** How long an untouched bucket takes to refill completely. */
  private readonly refillMs: number;

  constructor(options: BucketOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) throw new Error('rate limit: ratePerSecond must be > 0 and burst >= 1');
    this.rate = options.ratePerSecond;
    this.burst = options.burst;
    this.maxBuckets = options.maxBuckets ?? 100_000;
    this.now = options.now ?? Date.now;
    this.refillMs = (this.burst / this.rate) * 1000;
  }

  get size(): number {
    return this.buckets.size;
  }

  take(key: string): TakeResult {
    const now = this.now();
    this.dropRefilled(now);
    const previous = this.buckets.get(key);
    let tokens = this.burst;
    if (previous) {
      this.buckets.delete(key); // re-inserted below: most recently used goes last
      tokens = Math.min(this.burst, previous.tokens + (Math.max(0, now - previous.at) / 1000) * this.rate);
    }
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    this.buckets.set(key, { tokens, at: now });
    if (this.buckets.size > this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value!);
    return {
      allowed,
      limit: this.burst,
      remaining: Math.floor(tokens),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.rate)),
    };
  }

  /** Drops buckets from the least recently used end while they are full again; amortised O(1). */
  private dropRefilled(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at < this.refillMs) return;
      this.buckets.delete(key);
    }
  }
}
