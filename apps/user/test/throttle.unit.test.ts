import { decideLogin, loginSubjects, slowDownMs, type FailureCount, type ThrottlePolicy } from '../src/domain/throttle';

const policy: ThrottlePolicy = { windowSeconds: 900, maxFailuresPerAccountAndAddress: 5, maxFailuresPerAddress: 50, slowDownAfterAccountFailures: 10, maxDelayMs: 3000 };
const now = new Date('2030-01-01T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const subjects = loginSubjects(' Ann@Example.TEST ', '203.0.113.9');
const counts = (entries: Array<[string, FailureCount]>) => new Map(entries);

describe('sign-in throttling rules', () => {
  test('subjects: the account case-insensitively, the address, and the two together', () => {
    expect(subjects).toEqual({ pair: 'pair:ann@example.test|203.0.113.9', address: 'address:203.0.113.9', account: 'account:ann@example.test' });
  });

  test('refuses an address that failed too often on this account, or in all, until its window ends', () => {
    expect(decideLogin(counts([[subjects.pair, { failures: 4, since: minutesAgo(1) }]]), subjects, policy, now)).toEqual({ kind: 'proceed', delayMs: 0 });
    expect(decideLogin(counts([[subjects.pair, { failures: 5, since: minutesAgo(5) }]]), subjects, policy, now)).toEqual({ kind: 'refuse', retryAfterSeconds: 600 });
    expect(decideLogin(counts([
      [subjects.pair, { failures: 5, since: minutesAgo(10) }],
      [subjects.address, { failures: 50, since: minutesAgo(2) }],
    ]), subjects, policy, now)).toEqual({ kind: 'refuse', retryAfterSeconds: 780 }); // the later of the two
  });

  test('failures on the account from anywhere never refuse: they slow every attempt down, up to a cap', () => {
    const decision = decideLogin(counts([[subjects.account, { failures: 1_000_000, since: minutesAgo(1) }]]), subjects, policy, now);
    expect(decision).toEqual({ kind: 'proceed', delayMs: 3000 });
    expect([9, 10, 11, 12, 13, 14, 40].map((f) => slowDownMs(f, policy))).toEqual([0, 250, 500, 1000, 2000, 3000, 3000]);
    expect(slowDownMs(50, { ...policy, maxDelayMs: 0 })).toBe(0);
  });
});
