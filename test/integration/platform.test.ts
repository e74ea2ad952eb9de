/**
 * The platform itself: two apps built on the shared kernel, each with a real daprd, talking
 * through the real placement, scheduler, RabbitMQ and Redis started by scripts/test.sh.
 */
import { randomUUID } from 'node:crypto';
import { componentsLike, eventually, startAppWithSidecar, type AppWithSidecar } from '../support/processes';
import { sidecarHeaders } from '../support/gateway';

const PROBE = 'dist/test/fixtures/probe/main.js';
let a: AppWithSidecar;
let b: AppWithSidecar;

async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

beforeAll(async () => {
  // The probes load what the inventory app loads: pubsub, state, secrets and the Redis actor store.
  const resourcesPath = componentsLike('inventory', ['probe-a', 'probe-b']);
  [a, b] = await Promise.all([
    startAppWithSidecar({ appId: 'probe-a', script: PROBE, appPort: 18081, daprHttpPort: 18581, daprGrpcPort: 18681, metricsPort: 18781, resourcesPath }),
    startAppWithSidecar({
      appId: 'probe-b', script: PROBE, appPort: 18082, daprHttpPort: 18582, daprGrpcPort: 18682, metricsPort: 18782, resourcesPath,
      env: { PROBE_HOST_ACTORS: 'true' },
    }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('two apps with real sidecars', () => {
  test('service invocation reaches the other app through both sidecars', async () => {
    const res = await fetch(`${a.appUrl}/probe/call/probe-b`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ app: 'probe-b' });
    const direct = await fetch(`${a.daprUrl}/v1.0/invoke/probe-b/method/probe/hello`, { headers: sidecarHeaders() });
    expect(await json(direct)).toEqual({ app: 'probe-b' });
  });

  test('pub/sub over RabbitMQ delivers a published event to the subscriber', async () => {
    const marker = randomUUID();
    const res = await fetch(`${a.appUrl}/probe/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'test.probe.sent', data: { marker } }),
    });
    expect(res.status).toBe(204);
    // probe-a and probe-b both subscribe: each app id has its own durable queue, so both get it.
    for (const app of [a, b]) {
      await eventually(async () => {
        const { events } = await json<{ events: Array<{ data: { marker: string } }> }>(await fetch(`${app.appUrl}/probe/received`));
        return events.some((e) => e.data.marker === marker);
      }, 30_000, `${app.appId} receives the event`);
    }
  });

  test('a handler that throws gets the message again (never acknowledged and lost)', async () => {
    await fetch(`${b.appUrl}/probe/fail-next`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"count":2}' });
    const marker = randomUUID();
    await fetch(`${a.appUrl}/probe/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'test.probe.sent', data: { marker } }),
    });
    await eventually(async () => {
      const { events } = await json<{ events: Array<{ data: { marker: string } }> }>(await fetch(`${b.appUrl}/probe/received`));
      return events.some((e) => e.data.marker === marker);
    }, 60_000, 'redelivery after two failures');
  });

  test('a poison message is parked on the dead-letter topic with its reason, not retried forever or lost', async () => {
    const marker = randomUUID();
    await fetch(`${a.appUrl}/probe/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'test.probe.sent', data: { marker, poison: true } }),
    });
    await eventually(async () => {
      const { events } = await json<{ events: Array<{ topic: string; data: { reason?: string; data?: { marker: string } } }> }>(
        await fetch(`${b.appUrl}/probe/received`),
      );
      return events.some((e) => e.topic === 'test.probe.dead' && e.data.data?.marker === marker && e.data.reason === 'poison for the test');
    }, 30_000, 'the poison message reaches the dead-letter topic');
  });

  test('an actor call from one app is placed on the app that hosts the type', async () => {
    const actorId = randomUUID();
    const first = await json<{ calls: number; host: string }>(await fetch(`${a.appUrl}/probe/actor/${actorId}/increment`, { method: 'POST' }));
    const second = await json<{ calls: number; host: string }>(await fetch(`${a.appUrl}/probe/actor/${actorId}/increment`, { method: 'POST' }));
    expect(first).toMatchObject({ calls: 1, host: 'probe-b' });
    expect(second).toMatchObject({ calls: 2, host: 'probe-b' });
  });

  test('concurrent calls to one actor are serialised (turn-based): no increment is lost', async () => {
    const actorId = randomUUID();
    await Promise.all(Array.from({ length: 25 }, () => fetch(`${a.appUrl}/probe/actor/${actorId}/increment`, { method: 'POST' })));
    const state = await json<{ calls: number }>(await fetch(`${a.appUrl}/probe/actor/${actorId}/getState`, { method: 'POST' }));
    expect(state.calls).toBe(25);
  });

  test('an actor reminder fires through the scheduler', async () => {
    const actorId = randomUUID();
    const res = await fetch(`${a.appUrl}/probe/actor/${actorId}/remindMe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'wake-up', dueSeconds: 1 }),
    });
    expect(res.ok).toBe(true);
    await eventually(async () => {
      const state = await json<{ reminders: string[] }>(await fetch(`${a.appUrl}/probe/actor/${actorId}/getState`, { method: 'POST' }));
      return state.reminders.includes('wake-up');
    }, 30_000, 'the reminder fires');
  });

  test('a workflow runs: activity, external event raced against a durable timer, both outcomes', async () => {
    const start = async (timeoutSeconds: number) =>
      json<{ id: string }>(
        await fetch(`${b.appUrl}/probe/workflows`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'dapr', timeoutSeconds }),
        }),
      );
    const approved = await start(30);
    const timedOut = await start(1);
    await new Promise((r) => setTimeout(r, 500));
    expect((await fetch(`${b.appUrl}/probe/workflows/${approved.id}/approve`, { method: 'POST' })).status).toBe(204);
    const results = await Promise.all([approved, timedOut].map(async (w) => json(await fetch(`${b.appUrl}/probe/workflows/${w.id}`))));
    expect(results[0]).toEqual({ status: 1, output: { greeting: 'hello dapr', outcome: 'approved' } });
    expect(results[1]).toEqual({ status: 1, output: { greeting: 'hello dapr', outcome: 'timed_out' } });
  });

  test('bad JSON and schema violations are 4xx problem+json, never 5xx', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${a.appUrl}/probe/echo`, { method: 'POST', headers: { 'content-type': type }, body });
    const cases = [
      await post('{"name": "x", '),
      await post('{"name": "x"}'),
      await post('{"name": "x", "quantity": 0}'),
      await post('{"name": "x", "quantity": 1, "extra": true}'),
      await post('name=x', 'application/x-www-form-urlencoded'),
      await post('[1,2]'),
    ];
    for (const res of cases) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const viaDapr = await fetch(`${a.daprUrl}/v1.0/invoke/probe-b/method/probe/echo`, {
      method: 'POST',
      headers: sidecarHeaders({ 'content-type': 'application/json' }),
      body: '{"quantity": "two"}',
    });
    expect(viaDapr.status).toBe(400);
    const problem = await json<{ errors: Array<{ pointer: string }> }>(viaDapr);
    expect(problem.errors.map((e) => e.pointer).sort()).toEqual(['/body/name', '/body/quantity']);
  });
});
