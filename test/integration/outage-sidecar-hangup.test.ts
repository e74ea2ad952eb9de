/**
 * A caller that hangs up on a service invocation must not kill the sidecar. daprd 1.18.3
 * panics (nil bufio.Writer in directmessaging's flushWriter, dapr/dapr#10371) when a resiliency
 * timeout covers the app target and the caller closes the connection before or while the answer
 * is written: the policy runner returns early, net/http recycles the writer, the goroutine still
 * answering writes to nil. The workaround: no app-target timeouts (components/resiliency.yaml);
 * callers bound their own waits (Sidecar.invoke's default timeout).
 *
 * Two probe apps with real sidecars load the project's components, resiliency.yaml included;
 * the callee's app id gets exactly the app-target policy the project gives its apps (the
 * catalog's). Then raw sockets ask probe-a's sidecar for probe-b's slow route and are destroyed
 * before the answer (and some right after its first bytes), many times over; the sidecar must
 * still answer /v1.0/healthz with 204 and invoke as before.
 *
 * OUTAGE_HANGUP_WITH_APP_TIMEOUT=1 puts the old app-target timeout (10 s) back, to show the
 * failure this guards against: the sidecar dies (connection refused on /v1.0/healthz).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { sidecarHeaders, sidecarToken } from '../support/gateway';
import { componentsLike, eventually, startAppWithSidecar, type AppWithSidecar } from '../support/processes';

const PROBE = 'dist/test/fixtures/probe/main.js';
const CALLER = 'probe-hang-a';
const CALLEE = 'probe-hang-b';
const HANG_UPS = 40;
const SLOW_MS = 400;
const withAppTimeout = process.env.OUTAGE_HANGUP_WITH_APP_TIMEOUT === '1';

let a: AppWithSidecar;
let b: AppWithSidecar;

beforeAll(async () => {
  const resourcesPath = componentsLike('inventory', [CALLER, CALLEE]);
  // The callee gets the policy the project's resiliency file gives its apps (catalog's target).
  const file = path.join(resourcesPath, 'resiliency.yaml');
  const resiliency = parse(readFileSync(file, 'utf8'));
  const appTarget = { ...resiliency.spec.targets.apps.catalog };
  if (withAppTimeout) {
    resiliency.spec.policies.timeouts.invocation = '10s';
    appTarget.timeout = 'invocation';
  }
  resiliency.spec.targets.apps[CALLEE] = appTarget;
  resiliency.spec.targets.apps[CALLER] = appTarget;
  writeFileSync(file, stringify(resiliency));
  [a, b] = await Promise.all([
    startAppWithSidecar({ appId: CALLER, script: PROBE, appPort: 18091, daprHttpPort: 18591, daprGrpcPort: 18691, metricsPort: 18791, resourcesPath }),
    startAppWithSidecar({ appId: CALLEE, script: PROBE, appPort: 18092, daprHttpPort: 18592, daprGrpcPort: 18692, metricsPort: 18792, resourcesPath }),
  ]);
  // mDNS: the caller's sidecar finds the callee.
  await eventually(async () => (await fetch(`${a.daprUrl}/v1.0/invoke/${CALLEE}/method/probe/hello`, { headers: sidecarHeaders() })).ok, 60_000, 'invocation between the probes');
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

/** One invocation over a raw socket, destroyed `after` ms from the request or right at the answer's first bytes. */
function hangUp(port: number, mode: { afterMs: number } | 'first-bytes'): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `GET /v1.0/invoke/${CALLEE}/method/probe/slow?ms=${SLOW_MS} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          `dapr-api-token: ${sidecarToken()}\r\nConnection: keep-alive\r\n\r\n`,
      );
      if (mode === 'first-bytes') socket.once('data', () => socket.destroy());
      else setTimeout(() => socket.destroy(), mode.afterMs);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
  });
}

async function sidecarAlive(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/v1.0/healthz`, { signal: AbortSignal.timeout(2000) })).status === 204;
  } catch {
    return false;
  }
}

test(`the caller's sidecar survives ${HANG_UPS} callers hanging up on a slow invocation${withAppTimeout ? ' [with an app-target timeout]' : ''}`, async () => {
  expect(await sidecarAlive(a.daprUrl)).toBe(true);
  const port = Number(new URL(a.daprUrl).port);
  const before = ((await (await fetch(`${b.appUrl}/probe/slow-answered`)).json()) as { answered: number }).answered;
  // Waves of 8 at once: most hang up before the answer, every fourth at its first bytes.
  for (let wave = 0; wave < HANG_UPS / 8; wave++) {
    await Promise.all(Array.from({ length: 8 }, (_, i) => hangUp(port, i % 4 === 3 ? 'first-bytes' : { afterMs: 30 + ((wave * 8 + i) % 10) * 25 })));
  }
  // Every slow answer has been written (the late writes are what panicked the sidecar), or the
  // sidecar is gone already (then the answers of the waves after its death never come).
  await eventually(
    async () =>
      !(await sidecarAlive(a.daprUrl)) ||
      ((await (await fetch(`${b.appUrl}/probe/slow-answered`)).json()) as { answered: number }).answered >= before + HANG_UPS,
    30_000,
    'every slow answer written',
  );
  // ...and relayed by both sidecars: a full call through the same path completes after them.
  const full = await fetch(`${a.daprUrl}/v1.0/invoke/${CALLEE}/method/probe/slow?ms=1`, { headers: sidecarHeaders(), signal: AbortSignal.timeout(10_000) }).catch(
    (err: Error) => err,
  );
  const alive = await sidecarAlive(a.daprUrl);
  if (!alive) {
    // What killed it, for the report (the sidecar's log is .data/logs/tests/<app>-daprd.log).
    console.warn(`${CALLER}'s sidecar is gone; see .data/logs/tests/${CALLER}-daprd.log`);
  }
  expect(alive).toBe(true);
  expect(full).toBeInstanceOf(Response);
  expect((full as Response).status).toBe(200);
  expect(await sidecarAlive(b.daprUrl)).toBe(true);
  // Still answering invocations as before.
  const hello = await fetch(`${a.daprUrl}/v1.0/invoke/${CALLEE}/method/probe/hello`, { headers: sidecarHeaders() });
  expect(await hello.json()).toEqual({ app: CALLEE });
}, 120_000);
