import { HttpProblem } from '../../../../kernel/problem';

export interface HashGateOptions {
  /** Hashes that may run at once (USER_HASH_CONCURRENCY). */
  concurrency: number;
  /** Hashes that may wait for a slot (USER_HASH_QUEUE); one more is refused with 503. */
  maxQueue: number;
}

/**
 * A semaphore with a bounded queue in front of every password hash (scrypt: ~140 ms of CPU and
 * 32 MiB each). Without it every concurrent sign-in becomes another scrypt in libuv's thread
 * pool: the queue there has no bound, every request waits behind all the others, memory grows
 * by 32 MiB per running hash, and the pool's threads (shared with DNS and file I/O) are all
 * busy. With it at most `concurrency` hashes run, at most `maxQueue` wait (so the longest wait
 * is about maxQueue / concurrency hash times, well below the 10 s invocation timeout), and the
 * rest get a fast 503 with Retry-After instead of an answer that arrives after the client gave up.
 *
 * In process on purpose: the resource it protects is this replica's CPU and memory, which no
 * other replica can see or spend, so a shared (Redis) counter would only add a round trip.
 */
export class HashGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: HashGateOptions) {
    if (!(Number.isInteger(options.concurrency) && options.concurrency >= 1)) throw new Error('USER_HASH_CONCURRENCY must be an integer >= 1');
    if (!(Number.isInteger(options.maxQueue) && options.maxQueue >= 0)) throw new Error('USER_HASH_QUEUE must be an integer >= 0');
  }

  /** Hashes running and waiting now (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs `work` when a slot is free; refuses at once (503) when the queue is full. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.maxQueue) {
      // Nothing has been spent on this request yet; Dapr retries a 503 a few times with
      // back-off (resiliency.yaml), which smooths a short burst at no hashing cost.
      throw new HttpProblem(503, 'Too many sign-ins are being processed right now; try again shortly.', { headers: { 'retry-after': '1' } });
    }
    // The slot is handed over by release() (running stays the same), so no newcomer can jump the queue.
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
