/**
 * Login throttling against brute force and credential stuffing: failed attempts are counted per
 * account and per client address in a fixed window. Past the limit, logins for that subject are
 * refused with 429 until the window ends — even with the right password, so guessing gains nothing.
 */
export interface ThrottlePolicy {
  windowSeconds: number;
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
}

export function throttleSubjects(email: string, address: string): Array<{ subject: string; limit: (p: ThrottlePolicy) => number }> {
  return [
    { subject: `account:${email.toLowerCase()}`, limit: (p) => p.maxFailuresPerAccount },
    { subject: `address:${address}`, limit: (p) => p.maxFailuresPerAddress },
  ];
}

/** Seconds until a window that started at `startedAt` ends (at least 1). */
export function secondsLeft(startedAt: Date, policy: ThrottlePolicy, now = new Date()): number {
  return Math.max(1, Math.ceil((startedAt.getTime() + policy.windowSeconds * 1000 - now.getTime()) / 1000));
}
