import { TokenBuckets } from '../../../kernel/domain/token-bucket';
import { clientAddress, rateLimitKeyOf } from '../src/domain/client-address';

function bucketsAt(options: { ratePerSecond: number; burst: number; maxBuckets?: number }) {
  const clock = { now: 1_000_000 };
  const buckets = new TokenBuckets({ ...options, now: () => clock.now });
  return { buckets, clock };
}

describe('token buckets per client', () => {
  test('allow the burst at once, then refuse with the wait until the next token', () => {
    const { buckets } = bucketsAt({ ratePerSecond: 2, burst: 3 });
    expect([1, 2, 3].map(() => buckets.take('a'))).toEqual([
      { allowed: true, limit: 3, remaining: 2, retryAfterSeconds: 0 },
      { allowed: true, limit: 3, remaining: 1, retryAfterSeconds: 0 },
      { allowed: true, limit: 3, remaining: 0, retryAfterSeconds: 0 },
    ]);
    expect(buckets.take('a')).toEqual({ allowed: false, limit: 3, remaining: 0, retryAfterSeconds: 1 });
  });

  test('refill at the configured rate and never beyond the burst', () => {
    const { buckets, clock } = bucketsAt({ ratePerSecond: 2, burst: 3 });
    for (let i = 0; i < 3; i += 1) buckets.take('a');
    clock.now += 499;
    expect(buckets.take('a').allowed).toBe(false);
    clock.now += 1; // 500 ms at 2/s: one token
    expect(buckets.take('a')).toMatchObject({ allowed: true, remaining: 0 });
    clock.now += 60_000;
    expect(buckets.take('a').remaining).toBe(2);
  });

  test('a slow rate says how many seconds to wait', () => {
    const { buckets } = bucketsAt({ ratePerSecond: 0.1, burst: 1 });
    buckets.take('a');
    expect(buckets.take('a').retryAfterSeconds).toBe(10);
  });

  test('keep clients apart', () => {
    const { buckets } = bucketsAt({ ratePerSecond: 1, burst: 1 });
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
    expect(buckets.take('b').allowed).toBe(true);
  });

  test('drop buckets that have refilled while idle, so memory follows the active clients', () => {
    const { buckets, clock } = bucketsAt({ ratePerSecond: 10, burst: 20 });
    for (let i = 0; i < 1000; i += 1) buckets.take(`client-${i}`);
    expect(buckets.size).toBe(1000);
    clock.now += 2_000; // 20 tokens at 10/s: every bucket is full again
    buckets.take('newcomer');
    expect(buckets.size).toBe(1);
  });

  test('never hold more than maxBuckets, dropping the least recently used', () => {
    const { buckets, clock } = bucketsAt({ ratePerSecond: 1, burst: 2, maxBuckets: 3 });
    buckets.take('a');
    buckets.take('a'); // a is empty
    buckets.take('b');
    buckets.take('c');
    clock.now += 1;
    buckets.take('a'); // a is now the most recently used
    buckets.take('d'); // b goes
    expect(buckets.size).toBe(3);
    expect(buckets.take('a').allowed).toBe(false); // a was kept, still empty
    expect(buckets.take('b').remaining).toBe(1); // b starts afresh
  });

  test('refuse nonsensical limits', () => {
    expect(() => new TokenBuckets({ ratePerSecond: 0, burst: 1 })).toThrow();
    expect(() => new TokenBuckets({ ratePerSecond: 1, burst: 0 })).toThrow();
  });
});

describe('the address a client is limited by', () => {
  test('is the socket peer; X-Forwarded-For is the client\'s own words unless a proxy is trusted', () => {
    expect(clientAddress('203.0.113.9', '198.51.100.1', false)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.2', '198.51.100.1, 192.0.2.7', true)).toBe('192.0.2.7');
    expect(clientAddress('10.0.0.2', 'garbage', true)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', undefined, true)).toBe('10.0.0.2');
  });

  test('groups IPv6 by /64 and unwraps IPv4-mapped addresses', () => {
    expect(rateLimitKeyOf('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(rateLimitKeyOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKeyOf('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKeyOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(rateLimitKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitKeyOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
