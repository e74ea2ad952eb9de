/** RabbitMQ's management API (the broker's own console; credentials from scripts/env.sh), for tests that act below Dapr. */
import { randomUUID } from 'node:crypto';

export async function rabbit(method: string, route: string, body?: unknown): Promise<any> {
  const port = process.env.RABBITMQ_MANAGEMENT_PORT ?? '15673';
  const auth = Buffer.from(`${process.env.RABBITMQ_USER ?? 'commerce'}:${process.env.RABBITMQ_PASSWORD ?? 'commerce'}`).toString('base64');
  const res = await fetch(`http://127.0.0.1:${port}${route}`, {
    method,
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`RabbitMQ ${method} ${route}: ${res.status} ${await res.text()}`);
  const text = await res.text(); // DELETE and binding POSTs answer without a body
  return text ? JSON.parse(text) : undefined;
}

/**
 * Puts a CloudEvent straight onto a topic's exchange, past Dapr and its scopes (as a holder of
 * the broker's credentials could), as persistent. Returns the event's id.
 */
export async function publishToBroker(topic: string, data: unknown, id = randomUUID()): Promise<string> {
  await rabbit('POST', `/api/exchanges/%2F/${encodeURIComponent(topic)}/publish`, {
    properties: { content_type: 'application/cloudevents+json', delivery_mode: 2 },
    routing_key: '',
    payload_encoding: 'string',
    payload: JSON.stringify({ specversion: '1.0', id, source: 'test', type: 'com.dapr.event.sent', datacontenttype: 'application/json', topic, pubsubname: 'pubsub', data }),
  });
  return id;
}
