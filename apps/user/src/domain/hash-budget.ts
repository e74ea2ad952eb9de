import { HttpProblem } from '../../../../kernel/problem';
import { TokenBuckets } from '../../../../kernel/domain/token-bucket';

export interface HashBudgetOptions {
  /** Hashes a client may cost per minute, sustained (USER_HASH_BUDGET_PER_MINUTE); 0 = no budget. */
  perMinute: number;
  /** Hashes a client may cost at once (USER_HASH_BUDGET_BURST). */
  burst: number;
  /** Most clients remembered at once; ~100 bytes each. */
  maxClients?: number;
  now?: () => number;
}

/**
 * How many password hashes one client (address) may make this replica compute: a token bucket
 * per client, charged by the routes that hash (register, login) **before** any hash runs, so a
 * refused request costs a map lookup. It keeps one address from taking the whole HashGate: at
 * the defaults (5 per second, 60 at once) a single address gets about an eighth of what two
 * cores can hash, so it takes many addresses to fill the gate, and the gate then refuses with 503.
 *
 * In process, not in Redis: like the gate, it protects this replica's CPU, which is spent here
 * whichever replica the other requests went to; N replicas accept N times the budget and also
 * have N times the CPU. The shared, durable limits on guessing are the failed-sign-in throttle
 * (PostgreSQL, domain/throttle.ts).
 *
 * The buckets are the kernel's (kernel/domain/token-bucket.ts, also the gateway's rate limit):
 * bounded memory without timers.
 */
export class HashBudget {
  /** Undefined when the budget is off (USER_HASH_BUDGET_PER_MINUTE=0). */
  private readonly buckets: TokenBuckets | undefined;

  constructor(options: HashBudgetOptions) {
    if (!(options.perMinute >= 0) || !(Number.isInteger(options.burst) && options.burst >= 1)) {
      throw new Error('USER_HASH_BUDGET_PER_MINUTE must be >= 0 and USER_HASH_BUDGET_BURST >= 1');
    }
    this.buckets = options.perMinute > 0
      ? new TokenBuckets({ ratePerSecond: options.perMinute / 60, burst: options.burst, maxBuckets: options.maxClients, now: options.now })
      : undefined;
  }

  get size(): number {
    return this.buckets?.size ?? 0;
  }

  /** Takes one hash from `client`'s budget, or refuses with 429 and Retry-After. */
  charge(client: string): void {
    const taken = this.buckets?.take(client);
    if (!taken || taken.allowed) return;
    const wait = taken.retryAfterSeconds;
    throw new HttpProblem(429, `Too many sign-in and sign-up attempts from your address; try again in ${wait} s.`, { headers: { 'retry-after': String(wait) } });
  }
}
