import Router from '@koa/router';
import { DaprClient, CommunicationProtocolEnum, type AbstractActor } from '@dapr/dapr';
import ActorRuntime from '@dapr/dapr/actors/runtime/ActorRuntime';
import type { ActorRuntimeOptions } from '@dapr/dapr/types/actors/ActorRuntimeOptions';

type ActorClass = new (client: DaprClient, id: import('@dapr/dapr').ActorId) => AbstractActor;

/**
 * Hosts Dapr virtual actors inside the Koa app, on the app's one port.
 *
 * The SDK's DaprServer would host them in its own Express app, which always listens by itself
 * and installs global body parsers (js-sdk #718). Instead these routes call the SDK's
 * ActorRuntime directly — the same runtime DaprServer uses — so actors, the service's REST API
 * and pub/sub deliveries share one server and one middleware stack. The sidecar finds the actor
 * types at GET /dapr/config and calls the routes below (Dapr actors API, app side).
 */
export function actorHost(daprHttpPort: number, actors: ActorClass[], options: ActorRuntimeOptions = {}): Router {
  const client = new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(daprHttpPort),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    logger: { level: 1 }, // errors only: our own logger says the rest
    daprApiToken: process.env.DAPR_API_TOKEN || undefined, // reminders and timers go through the sidecar's API
    actor: options,
  });
  const runtime = ActorRuntime.getInstanceByDaprClient(client);
  for (const actor of actors) runtime.registerActor(actor as never);
  runtime.setActorRuntimeOptions(options);

  const router = new Router();
  router.get('/dapr/config', (ctx) => {
    ctx.body = { entities: runtime.getRegisteredActorTypes(), ...runtime.getActorRuntimeOptions() };
  });
  router.delete('/actors/:type/:id', async (ctx) => {
    await runtime.deactivate(ctx.params.type!, ctx.params.id!);
    ctx.status = 200;
    ctx.body = '';
  });
  // Reminder and timer routes come first: "method/remind/x" would otherwise match ":method".
  router.put('/actors/:type/:id/method/remind/:name', async (ctx) => {
    await runtime.fireReminder(ctx.params.type!, ctx.params.id!, ctx.params.name!, ctx.request.rawBody);
    ctx.status = 200;
    ctx.body = '';
  });
  router.put('/actors/:type/:id/method/timer/:name', async (ctx) => {
    await runtime.fireTimer(ctx.params.type!, ctx.params.id!, ctx.params.name!, ctx.request.rawBody);
    ctx.status = 200;
    ctx.body = '';
  });
  router.put('/actors/:type/:id/method/:method', async (ctx) => {
    const result = await runtime.invoke(ctx.params.type!, ctx.params.id!, ctx.params.method!, ctx.request.rawBody);
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(result ?? null);
  });
  return router;
}
