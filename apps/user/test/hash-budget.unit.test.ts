import { HashBudget } from '../src/domain/hash-budget';
import { clientKeyOf } from '../../../kernel/domain/client-key';
import { HttpProblem } from '../../../kernel/problem';

function budgetAt(options: { perMinute: number; burst: number; maxClients?: number }) {
  const clock = { now: 5_000_000 };
  return { budget: new HashBudget({ ...options, now: () => clock.now }), clock };
}

function refusal(charge: () => void): HttpProblem | undefined {
  try {
    charge();
    return undefined;
  } catch (err) {
    if (err instanceof HttpProblem) return err;
    throw err;
  }
}

describe('the per-client hash budget', () => {
  test('allows the burst, then refuses with 429 and the seconds until the next hash', () => {
    const { budget } = budgetAt({ perMinute: 6, burst: 3 });
    for (let i = 0; i < 3; i += 1) expect(refusal(() => budget.charge('203.0.113.5'))).toBeUndefined();
    const refused = refusal(() => budget.charge('203.0.113.5'));
    expect(refused?.status).toBe(429);
    expect(refused?.headers['retry-after']).toBe('10'); // 6 a minute: one every 10 s
  });

  test('refills at the configured rate; clients are apart', () => {
    const { budget, clock } = budgetAt({ perMinute: 60, burst: 1 });
    budget.charge('a');
    expect(refusal(() => budget.charge('a'))?.status).toBe(429);
    expect(refusal(() => budget.charge('b'))).toBeUndefined();
    clock.now += 1000;
    expect(refusal(() => budget.charge('a'))).toBeUndefined();
  });

  test('0 per minute turns the budget off', () => {
    const { budget } = budgetAt({ perMinute: 0, burst: 1 });
    for (let i = 0; i < 100; i += 1) budget.charge('a');
    expect(budget.size).toBe(0);
  });

  test('memory stays bounded: refilled buckets are dropped, and past the limit the oldest goes', () => {
    const { budget, clock } = budgetAt({ perMinute: 60, burst: 2, maxClients: 3 });
    for (const c of ['a', 'b', 'c', 'd']) budget.charge(c);
    expect(budget.size).toBe(3);
    clock.now += 2000; // everyone refilled
    budget.charge('e');
    expect(budget.size).toBe(1);
  });

  test('IPv6 clients are counted by /64, IPv4-mapped addresses as IPv4', () => {
    expect(clientKeyOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKeyOf('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
    expect(clientKeyOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKeyOf('::ffff:198.51.100.4')).toBe('198.51.100.4');
    expect(clientKeyOf('198.51.100.4')).toBe('198.51.100.4');
    expect(clientKeyOf('gateway')).toBe('gateway');
  });
});
