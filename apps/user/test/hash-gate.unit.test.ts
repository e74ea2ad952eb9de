import { HashGate } from '../src/domain/hash-gate';
import { HttpProblem } from '../../../kernel/problem';

/** A piece of work that finishes when the test says so. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: () => done, finish };
}

describe('the password-hash gate', () => {
  test('runs at most `concurrency` hashes at once and hands freed slots to the queue in order', async () => {
    const gate = new HashGate({ concurrency: 2, maxQueue: 2 });
    const started: string[] = [];
    const jobs = { a: held(), b: held(), c: held(), d: held() };
    const runs = Object.entries(jobs).map(([name, job]) => gate.run(async () => (started.push(name), job.work())));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b']);
    expect(gate.load).toEqual({ running: 2, waiting: 2 });
    jobs.b.finish();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c']);
    expect(gate.load).toEqual({ running: 2, waiting: 1 });
    for (const job of Object.values(jobs)) job.finish();
    await Promise.all(runs);
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  test('refuses at once with 503 and Retry-After when the queue is full, without running the work', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueue: 1 });
    const slow = held();
    const first = gate.run(slow.work);
    const queued = gate.run(async () => 'queued');
    let ran = false;
    const refused = await gate.run(async () => (ran = true)).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(HttpProblem);
    expect((refused as HttpProblem).status).toBe(503);
    expect((refused as HttpProblem).headers['retry-after']).toBe('1');
    expect(ran).toBe(false);
    slow.finish();
    await first;
    expect(await queued).toBe('queued');
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  test('a failing hash frees its slot', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueue: 0 });
    await expect(gate.run(async () => Promise.reject(new Error('scrypt failed')))).rejects.toThrow('scrypt failed');
    expect(await gate.run(async () => 42)).toBe(42);
  });

  test('refuses a nonsensical configuration at start-up', () => {
    expect(() => new HashGate({ concurrency: 0, maxQueue: 1 })).toThrow(/USER_HASH_CONCURRENCY/);
    expect(() => new HashGate({ concurrency: 1, maxQueue: -1 })).toThrow(/USER_HASH_QUEUE/);
  });
});
