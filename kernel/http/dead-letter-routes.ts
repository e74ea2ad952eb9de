import { defineRoute, type Route } from './route';
import type { JSONSchema } from '../validation';
import type { Logger } from '../logger';
import type { DeadLetterStore, ParkedEvent } from '../store/dead-letters';
import { replayParked, type Subscription } from '../dapr/subscriptions';

const listQuery = {
  type: 'object',
  properties: {
    status: { enum: ['parked', 'replayed'] },
    topic: { type: 'string', minLength: 1, maxLength: 200 },
    before: { type: 'string', format: 'date-time', maxLength: 40 },
    limit: { type: 'string', pattern: '^(?:[1-9][0-9]?|[1-4][0-9]{2}|500)$' },
  },
  additionalProperties: false,
} as const satisfies JSONSchema;

const replayBody = {
  type: 'object',
  properties: {
    ids: { type: 'array', items: { type: 'string', format: 'uuid' }, minItems: 1, maxItems: 500, uniqueItems: true },
    topic: { type: 'string', minLength: 1, maxLength: 200 },
  },
  additionalProperties: false,
} as const satisfies JSONSchema;

function present(p: ParkedEvent) {
  return { ...p, first_seen: p.first_seen.toISOString(), last_seen: p.last_seen.toISOString(), replayed_at: p.replayed_at?.toISOString() ?? null };
}

/**
 * The operator's view of an app's parked events, through the gateway as an administrator:
 * `GET /admin/dead-letters/<app>` lists them (newest first), `POST …/replay` runs them through
 * their subscription's handler again (by id, by topic, or every parked one, at most 500 a call).
 */
export function deadLetterRoutes(appId: string, store: DeadLetterStore, subscriptions: Subscription[], logger: Logger): Route[] {
  const base = `/admin/dead-letters/${appId}`;
  const tags = ['operations'];
  const App = `${appId[0]!.toUpperCase()}${appId.slice(1)}`;
  return [
    defineRoute({
      method: 'GET',
      path: base,
      summary: `Messages the ${appId} service parked (refused as poison or out of delivery retries)`,
      operationId: `list${App}DeadLetters`,
      tags,
      access: 'admin',
      query: listQuery,
      responses: { 200: { description: 'Parked events, newest first, with a cursor (`next_before`)' } },
      handler: async ({ query }) => {
        const limit = Number(query.limit ?? 50);
        const items = await store.list({ status: query.status, topic: query.topic, before: query.before ? new Date(query.before) : undefined, limit });
        return { body: { items: items.map(present), next_before: items.length === limit ? items[items.length - 1]!.first_seen.toISOString() : null } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: `${base}/replay`,
      summary: `Run parked events of the ${appId} service through their handlers again (idempotent handlers)`,
      operationId: `replay${App}DeadLetters`,
      tags,
      access: 'admin',
      body: replayBody,
      responses: { 200: { description: 'Which were replayed and which stay parked, with why' } },
      handler: async ({ body }) => ({ body: await replayParked(subscriptions, store, { ids: body.ids, topic: body.topic, limit: 500 }, logger) }),
    }),
  ];
}
