import type { JSONSchema } from '../validation';

/** `/:id` path parameters that must be UUIDs; a malformed id is a 400, not a database error. */
export const uuidIdParams = {
  type: 'object',
  properties: { id: { type: 'string', format: 'uuid' } },
  required: ['id'],
  additionalProperties: false,
} as const satisfies JSONSchema;
