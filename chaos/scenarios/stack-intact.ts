/**
 * Runs last: every app and every sidecar that was running when the run began is running and
 * ready again (the scenarios kill and restart them; a restart that did not take, or an app that
 * died of a fault, would leave the stack short of a service for whatever runs next: in `npm
 * test`, every later suite). A part found missing is a violation, and is started again as it
 * was started (its command line captured before the run), and an app running but not ready for
 * two minutes is a violation too and is started afresh (app and sidecar), so one broken restart
 * does not take the rest of the test run with it.
 * And no RabbitMQ queue keeps messages handed to a consumer that never answers for them (a
 * consumer left behind by a reconnect holds up to prefetchCount messages unacknowledged for as
 * long as its connection lives: events delivered to nobody).
 */
import type { Captured } from '../../test/support/relaunch';
import { relaunch, runningParts, stop } from '../../test/support/relaunch';
import type { Scenario } from '../lib/scenario';
import { APP_PORTS, sleep, unacknowledged, waitUntilReady } from '../lib/stack';

type Parts = { app?: Captured; sidecar?: Captured };

/** The parts running now, per app: what stackIntact compares against at the end. */
export function captureStack(): Map<string, Parts> {
  return new Map(Object.keys(APP_PORTS).map((id) => [id, runningParts(id)]));
}

export function stackIntact(before: Map<string, Parts>): Scenario {
  return {
    name: 'stack-intact',
    async run(ctx, report) {
      let missing = 0;
      let unready = 0;
      let expected = 0;
      for (const [appId, was] of before) {
        const now = runningParts(appId);
        for (const part of ['app', 'sidecar'] as const) {
          const original = was[part];
          if (!original) continue;
          expected += 1;
          if (now[part]) continue;
          missing += 1;
          ctx.log(`  ${appId} ${part} is not running after the run: started again`);
          relaunch(original, `chaos-restored-${appId}-${part}`);
        }
        try {
          await waitUntilReady(appId, 120_000);
        } catch (err) {
          // Running but not ready for two minutes: a violation; both parts are started afresh.
          unready += 1;
          ctx.log(`  ${appId}: ${(err as Error).message}; its app and sidecar are started again`);
          const stuck = runningParts(appId);
          for (const part of ['sidecar', 'app'] as const) {
            const running = stuck[part];
            if (running) await stop(running, 'SIGKILL');
            const original = running ?? was[part];
            if (original) relaunch(original, `chaos-restored-${appId}-${part}`);
          }
          await waitUntilReady(appId, 120_000).catch((again) => ctx.log(`  ${appId}: still not ready: ${(again as Error).message}`));
        }
      }
      report.zero('apps or sidecars not running after the run', missing, expected);
      report.zero('apps not ready after the run', unready, before.size);
      // Whatever is still being handled is acknowledged within seconds; a minute is generous.
      let held = await unacknowledged();
      for (const deadline = Date.now() + 90_000; held.size > 0 && Date.now() < deadline; await sleep(2000)) held = await unacknowledged();
      if (held.size > 0) ctx.log(`  unacknowledged: ${[...held].map(([q, n]) => `${q} ${n}`).join(', ')}`);
      report.zero('queues holding unacknowledged messages after the run', held.size);
    },
  };
}
