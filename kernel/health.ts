import { outageOf } from './problem';

/**
 * Readiness: an app is ready only when its own dependencies answer, each reported by name
 * (`postgres`, `dapr`, `statestore`, `elasticsearch`, ...) with how long it took and why it
 * failed. Liveness (/healthz) is separate and never touches a dependency, so a slow database
 * does not get the pod killed.
 */
export type Check = () => Promise<void>;

/** What the platform checks need of the sidecar client. */
interface SidecarProbe {
  outboundReady(): Promise<void>;
  getState<T>(store: string, key: string): Promise<T | undefined>;
}

/**
 * The sidecar (`dapr`: it answers and can make outbound calls) and a state store behind it
 * (`statestore`: one read of a key nobody writes; Redis down makes the sidecar answer 5xx).
 */
export function addPlatformChecks(readiness: Readiness, sidecar: SidecarProbe, options: { stateStore?: string } = {}): void {
  readiness.add('dapr', () => sidecar.outboundReady());
  const store = options.stateStore;
  if (store) readiness.add(store, async () => void (await sidecar.getState(store, 'readiness-probe')));
}

/** A failed check's reason: the message, else the outage's code (Node's AggregateError of a refused connect has no message). */
function reasonOf(err: unknown): string {
  const message = (err as Error)?.message;
  const outage = outageOf(err);
  if (message) return outage && !message.includes(outage.reason) ? `${message} (${outage.reason})` : message;
  return outage ? `${outage.dependency} unavailable (${outage.reason})` : String(err);
}

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
          return [name, { ok: false, error: reasonOf(err), ms: Date.now() - started }] as const;
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
