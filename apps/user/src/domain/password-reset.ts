/**
 * Password reset by an e-mailed one-time code. Asking never says whether an account exists (the
 * answer is the same 202 either way, and the mail is sent after the answer); a code is 256
 * random bits, kept only as its hash, valid for `ttlSeconds` and once; at most `perWindow` codes
 * an account per `windowSeconds`. Using it sets the new password and ends every session.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Mail, Recipient } from './mail';

export interface ResetPolicy {
  ttlSeconds: number;
  perWindow: number;
  windowSeconds: number;
}

export interface ResetPorts {
  userByEmail(email: string): Promise<(Recipient & { id: string }) | undefined>;
  recentCount(userId: string, seconds: number): Promise<number>;
  create(userId: string, tokenHash: string, ttlSeconds: number): Promise<string>;
  consume(tokenHash: string, passwordHash: string): Promise<string | undefined>;
  /** Sends the code's mail, keyed by the reset's id (so a retry sends it once). */
  send(key: string, mail: Mail): Promise<void>;
  mail(to: Recipient, token: string, ttlMinutes: number): Mail;
}

export function hashResetCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

export class PasswordResets {
  constructor(
    private readonly ports: ResetPorts,
    private readonly policy: ResetPolicy,
  ) {}

  /**
   * Prepares a code for the account of `email`, if there is one and it is under its limit, and
   * returns the send to run after answering (undefined otherwise).
   */
  async request(email: string): Promise<(() => Promise<void>) | undefined> {
    const user = await this.ports.userByEmail(email);
    if (!user) return undefined;
    if ((await this.ports.recentCount(user.id, this.policy.windowSeconds)) >= this.policy.perWindow) return undefined;
    const code = randomBytes(32).toString('base64url');
    const id = await this.ports.create(user.id, hashResetCode(code), this.policy.ttlSeconds);
    const mail = this.ports.mail(user, code, Math.round(this.policy.ttlSeconds / 60));
    return () => this.ports.send(`password-reset:${id}`, mail);
  }

  /** Uses a code with the new password's hash; the account's id, or undefined for a wrong, used or expired code. */
  confirm(code: string, passwordHash: string): Promise<string | undefined> {
    return this.ports.consume(hashResetCode(code), passwordHash);
  }
}
