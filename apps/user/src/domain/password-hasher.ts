import type { HashGate } from './hash-gate';
import { hashPassword, verifyPassword } from './passwords';

/** The hash functions themselves: scrypt (passwords.ts), or a cheap stand-in in tests. */
export interface HashFunctions {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}

/**
 * The password hashes the service computes for requests, each through the HashGate (a bounded
 * number at once, the rest refused with 503). The start-up script (`create-admin`) uses
 * passwords.ts directly: it is one hash in its own process.
 */
export class PasswordHasher {
  constructor(
    private readonly gate: HashGate,
    private readonly functions: HashFunctions = { hash: hashPassword, verify: verifyPassword },
  ) {}

  hash(password: string): Promise<string> {
    return this.gate.run(() => this.functions.hash(password));
  }

  verify(password: string, stored: string): Promise<boolean> {
    return this.gate.run(() => this.functions.verify(password, stored));
  }
}
