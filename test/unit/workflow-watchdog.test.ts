/**
 * The workflow watchdog (kernel/dapr/workflow-watchdog.ts) against fake runtimes shaped like the
 * SDK's (3.18) worker: a failed worker is replaced at once, a worker without a stream only after
 * the grace period, and readiness fails until a replacement has its stream open.
 */
import type { WorkflowRuntime } from '@dapr/dapr';
import { createLogger } from '../../kernel/logger';
import { WorkflowWatchdog, workerState } from '../../kernel/dapr/workflow-watchdog';

interface FakeWorker {
  _isRunning: boolean;
  _stopWorker: boolean;
  _responseStream: { destroyed: boolean; cancel(): void } | null;
  _activeWorkItems: number;
  _stub: { close(): void; closed: boolean };
}

function fakeRuntime() {
  const worker: FakeWorker = { _isRunning: false, _stopWorker: false, _responseStream: null, _activeWorkItems: 0, _stub: { closed: false, close() { this.closed = true; } } };
  return {
    worker,
    async start() { worker._isRunning = true; },
    async stop() { worker._stopWorker = true; worker._isRunning = false; },
    connect() { worker._responseStream = { destroyed: false, cancel() { this.destroyed = true; } }; },
  };
}
type Fake = ReturnType<typeof fakeRuntime>;

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition did not hold');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const logger = createLogger('test', 'silent');

test('a failed worker is replaced by a new runtime; readiness fails until it is connected', async () => {
  const built: Fake[] = [];
  const watchdog = new WorkflowWatchdog(() => { const f = fakeRuntime(); built.push(f); return f as unknown as WorkflowRuntime; }, logger, { pollMs: 10, graceMs: 10_000, minBackoffMs: 20, maxBackoffMs: 40 });
  await watchdog.start();
  built[0]!.connect();
  await expect(watchdog.check()).resolves.toBeUndefined();

  // The SDK's loop ends at the first stream error: the worker marks itself not running.
  built[0]!.worker._responseStream?.cancel();
  built[0]!.worker._isRunning = false;
  await until(() => built.length === 2);
  expect(built[0]!.worker._stopWorker).toBe(true);
  await until(() => built[0]!.worker._stub.closed);
  await expect(watchdog.check()).rejects.toThrow(/not connected to the sidecar/);

  // The sidecar still away: each new worker fails too, and is replaced with back-off.
  built[1]!.worker._isRunning = false;
  await until(() => built.length === 3);
  built[2]!.connect();
  await expect(watchdog.check()).resolves.toBeUndefined();
  expect(workerState(built[2] as unknown as WorkflowRuntime)).toBe('connected');
  await watchdog.stop();
  expect(built[2]!.worker._stopWorker).toBe(true);
});

test('a running worker without a stream (its own retry) is given the grace period first', async () => {
  const built: Fake[] = [];
  const watchdog = new WorkflowWatchdog(() => { const f = fakeRuntime(); built.push(f); return f as unknown as WorkflowRuntime; }, logger, { pollMs: 10, graceMs: 150, minBackoffMs: 20 });
  await watchdog.start();
  built[0]!.connect();
  built[0]!.worker._responseStream!.cancel(); // stream ended; the SDK sleeps, then retries
  const lost = Date.now();
  await until(() => built.length === 2);
  expect(Date.now() - lost).toBeGreaterThanOrEqual(140);
  await watchdog.stop();
});

test('an SDK whose worker has other internals is left alone and reported ready', async () => {
  let builds = 0;
  const runtime = { async start() {}, async stop() {} } as unknown as WorkflowRuntime;
  const watchdog = new WorkflowWatchdog(() => { builds++; return runtime; }, logger, { pollMs: 10 });
  await watchdog.start();
  await new Promise((r) => setTimeout(r, 50));
  expect(builds).toBe(1);
  await expect(watchdog.check()).resolves.toBeUndefined();
  await watchdog.stop();
});

test('a worker connected in its own view that the sidecar does not serve fails readiness and is replaced', async () => {
  const built: Fake[] = [];
  let serves = true;
  let asked = 0;
  const watchdog = new WorkflowWatchdog(() => { const f = fakeRuntime(); built.push(f); return f as unknown as WorkflowRuntime; }, logger, {
    pollMs: 10, graceMs: 50, minBackoffMs: 20, sidecarCheckMs: 20, unservedGraceMs: 100,
    sidecarServes: async () => { asked++; return serves; },
  });
  await watchdog.start();
  built[0]!.connect();
  await until(() => asked >= 2);
  await expect(watchdog.check()).resolves.toBeUndefined();

  // The sidecar lost the worker (no workflow actor types) while the app's stream stays open.
  serves = false;
  await until(() => built.length === 2);
  expect(built[0]!.worker._stopWorker).toBe(true);
  // The replacement connects and is served: ready again, no further replacement.
  serves = true;
  built[1]!.connect();
  const askedBefore = asked;
  await until(() => asked >= askedBefore + 2);
  await expect(watchdog.check()).resolves.toBeUndefined();
  expect(built).toHaveLength(2);
  await watchdog.stop();
});

test('readiness fails while the sidecar has not served the connected worker for the grace period', async () => {
  const built: Fake[] = [];
  const watchdog = new WorkflowWatchdog(() => { const f = fakeRuntime(); built.push(f); return f as unknown as WorkflowRuntime; }, logger, {
    pollMs: 10, graceMs: 20, sidecarCheckMs: 10, unservedGraceMs: 60, minBackoffMs: 60_000,
    sidecarServes: async () => false,
  });
  await watchdog.start();
  built[0]!.connect();
  await expect(watchdog.check()).resolves.toBeUndefined(); // not judged yet
  await until(() => built.length === 2, 3000);
  built[1]!.connect();
  // The next replacement waits out its back-off (a minute): meanwhile readiness says why.
  const deadline = Date.now() + 3000;
  let reason = '';
  while (!/has not served/.test(reason) && Date.now() < deadline) {
    reason = await watchdog.check().then(() => '', (err: Error) => err.message);
    await new Promise((r) => setTimeout(r, 10));
  }
  expect([reason, built.length]).toEqual([expect.stringMatching(/has not served the connected workflow worker/), 2]);
  expect(built).toHaveLength(2);
  await watchdog.stop();
});

test('an unreachable sidecar leaves the judgement to the stream', async () => {
  const built: Fake[] = [];
  const watchdog = new WorkflowWatchdog(() => { const f = fakeRuntime(); built.push(f); return f as unknown as WorkflowRuntime; }, logger, {
    pollMs: 10, sidecarCheckMs: 10, unservedGraceMs: 30,
    sidecarServes: async () => { throw new Error('ECONNREFUSED'); },
  });
  await watchdog.start();
  built[0]!.connect();
  await new Promise((r) => setTimeout(r, 150));
  await expect(watchdog.check()).resolves.toBeUndefined();
  expect(built).toHaveLength(1);
  await watchdog.stop();
});
