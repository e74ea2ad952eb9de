/**
 * Failed sign-ins against guessing, without handing anyone a way to lock others out.
 *
 * Failures are counted in a fixed window (LOGIN_THROTTLE_WINDOW_SECONDS) under three subjects:
 *
 * - **account + address** (LOGIN_MAX_FAILURES_PER_ACCOUNT, 5): past it, *that address* gets 429
 *   for that account, even with the right password, so guessing from it gains nothing;
 * - **address** (LOGIN_MAX_FAILURES_PER_ADDRESS, 50): one address spraying many accounts gets 429;
 * - **account**, over all addresses (LOGIN_SLOWDOWN_AFTER_ACCOUNT_FAILURES, 10): past it, every
 *   attempt on the account is *delayed* (250 ms, doubling per further failure, at most
 *   LOGIN_SLOWDOWN_MAX_MS), never refused.
 *
 * Why no refusal per account: a per-account limit that refuses everyone (what this service did
 * before) lets anybody who knows an e-mail address lock its owner out with five wrong
 * passwords, from anywhere, for as long as they keep at it. Refusing per (account, address)
 * stops the attacker's address while the owner, from their own address, still signs in with
 * the right password. What is left — guessing spread over many addresses — is bounded by the
 * per-address limits (each address gets 5 guesses per account and 50 in all per window) and
 * slowed by the delay, which the owner also feels (at most a few seconds), but which never
 * becomes a lockout. The delay is kept below the 10 s invocation timeout.
 */
export interface ThrottlePolicy {
  windowSeconds: number;
  /** Failures on one account from one address before that address is refused for it. */
  maxFailuresPerAccountAndAddress: number;
  maxFailuresPerAddress: number;
  /** Failures on one account (all addresses) after which every attempt on it is delayed. */
  slowDownAfterAccountFailures: number;
  /** Longest delay; 0 turns the slow-down off. */
  maxDelayMs: number;
}

/** The first delay past the account threshold; it doubles with every further failure. */
export const BASE_DELAY_MS = 250;

export interface LoginSubjects {
  pair: string;
  address: string;
  account: string;
}

export interface FailureCount {
  failures: number;
  /** When the subject's current window started. */
  since: Date;
}

export type LoginDecision = { kind: 'refuse'; retryAfterSeconds: number } | { kind: 'proceed'; delayMs: number };

/** `clientKey` is the client's address as counted (domain/client-key.ts). */
export function loginSubjects(email: string, clientKey: string): LoginSubjects {
  const account = email.trim().toLowerCase();
  return { pair: `pair:${account}|${clientKey}`, address: `address:${clientKey}`, account: `account:${account}` };
}

export function allSubjects(subjects: LoginSubjects): string[] {
  return [subjects.pair, subjects.address, subjects.account];
}

/** What to do with a sign-in, given the failures counted in the current windows (missing = none). */
export function decideLogin(counts: ReadonlyMap<string, FailureCount>, subjects: LoginSubjects, policy: ThrottlePolicy, now = new Date()): LoginDecision {
  const refusing = [
    { count: counts.get(subjects.pair), limit: policy.maxFailuresPerAccountAndAddress },
    { count: counts.get(subjects.address), limit: policy.maxFailuresPerAddress },
  ].filter((s): s is { count: FailureCount; limit: number } => s.count !== undefined && s.count.failures >= s.limit);
  if (refusing.length > 0) {
    return { kind: 'refuse', retryAfterSeconds: Math.max(...refusing.map((s) => secondsLeft(s.count.since, policy, now))) };
  }
  return { kind: 'proceed', delayMs: slowDownMs(counts.get(subjects.account)?.failures ?? 0, policy) };
}

/** 0 below the threshold, then 250 ms, 500 ms, 1 s, … up to `maxDelayMs`. */
export function slowDownMs(accountFailures: number, policy: ThrottlePolicy): number {
  const over = accountFailures - policy.slowDownAfterAccountFailures;
  if (over < 0 || policy.maxDelayMs <= 0) return 0;
  return Math.min(policy.maxDelayMs, BASE_DELAY_MS * 2 ** Math.min(over, 30));
}

/** Seconds until a window that started at `startedAt` ends (at least 1). */
export function secondsLeft(startedAt: Date, policy: ThrottlePolicy, now = new Date()): number {
  return Math.max(1, Math.ceil((startedAt.getTime() + policy.windowSeconds * 1000 - now.getTime()) / 1000));
}
