/**
 * Readiness: an app is ready only when its own dependencies answer. Liveness (/healthz) is
 * separate and never touches a dependency, so a slow database does not get the pod killed.
 */
export type Check = () => Promise<void>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string; ms: number }>;
}

export class Readiness {
  private readonly checks = new Map<string, Check>();
  private shuttingDown = false;

  constructor(private readonly timeoutMs = 2000) {}

  add(name: string, check: Check): this {
    this.checks.set(name, check);
    return this;
  }

  /** Called at the start of graceful shutdown so load balancers stop sending traffic. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async check(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        const started = Date.now();
        try {
          await withTimeout(check(), this.timeoutMs, name);
          return [name, { ok: true, ms: Date.now() - started }] as const;
        } catch (err) {
          return [name, { ok: false, error: (err as Error).message, ms: Date.now() - started }] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const ready = !this.shuttingDown && entries.every(([, result]) => result.ok);
    return { ready, checks };
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
