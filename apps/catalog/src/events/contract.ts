/**
 * The catalog's published events: the contract other services (search) build on.
 * Event-carried state: every product event holds the whole product as it is after the change,
 * with its `version` (+1 per change). Consumers keep the highest version they have seen, so
 * duplicates and out-of-order deliveries are harmless. Delivered at least once through the
 * transactional outbox (store/outbox.ts) and the `pubsub` component (RabbitMQ).
 */
import type { FromSchema, JSONSchema } from '../../../../kernel/validation';

export const PUBSUB = 'pubsub';

export const PRODUCT_TOPICS = {
  created: 'catalog.product.created',
  updated: 'catalog.product.updated',
  deleted: 'catalog.product.deleted',
} as const;

/** Where consumers put product events they can never process (schema violations). */
export const PRODUCT_DEAD_LETTER_TOPIC = 'catalog.product.deadletter';

const attributeValue = {
  anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }],
} as const;

export const productSnapshotSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    sku: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    base_price_minor: { type: 'integer', minimum: 0 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    status: { enum: ['draft', 'active', 'archived'] },
    category: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' },
            name: { type: 'string' },
            /** Root first, this category last: lets search filter by any ancestor. */
            path: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } }, required: ['id', 'name'] } },
          },
          required: ['id', 'name', 'path'],
        },
      ],
    },
    attributes: { type: 'object', additionalProperties: attributeValue },
    variants: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          sku: { type: 'string' },
          name: { type: 'string' },
          options: { type: 'object', additionalProperties: { type: 'string' } },
          price_minor: { type: 'integer', minimum: 0 },
        },
        required: ['sku', 'options', 'price_minor'],
      },
    },
    /** In position order, the first is the main image. Absent in events written before images existed. */
    images: {
      type: 'array',
      items: {
        type: 'object',
        properties: { url: { type: 'string' }, alt: { type: 'string' }, position: { type: 'integer' } },
        required: ['url', 'alt', 'position'],
        additionalProperties: false,
      },
    },
    version: { type: 'integer', minimum: 1 },
    updated_at: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'sku', 'name', 'description', 'base_price_minor', 'currency', 'status', 'category', 'attributes', 'variants', 'version', 'updated_at'],
} as const satisfies JSONSchema;

export type ProductSnapshot = FromSchema<typeof productSnapshotSchema>;

/** Payload of catalog.product.created and catalog.product.updated. */
export const productChangedSchema = {
  type: 'object',
  properties: {
    event_id: { type: 'string', format: 'uuid' },
    occurred_at: { type: 'string', format: 'date-time' },
    product: productSnapshotSchema,
  },
  required: ['event_id', 'occurred_at', 'product'],
} as const satisfies JSONSchema;

/** Payload of catalog.product.deleted: the version is the delete's own (+1 after the last change). */
export const productDeletedSchema = {
  type: 'object',
  properties: {
    event_id: { type: 'string', format: 'uuid' },
    occurred_at: { type: 'string', format: 'date-time' },
    product: {
      type: 'object',
      properties: { id: { type: 'string', format: 'uuid' }, sku: { type: 'string' }, version: { type: 'integer', minimum: 1 } },
      required: ['id', 'sku', 'version'],
    },
  },
  required: ['event_id', 'occurred_at', 'product'],
} as const satisfies JSONSchema;

export type ProductChanged = FromSchema<typeof productChangedSchema>;
export type ProductDeleted = FromSchema<typeof productDeletedSchema>;
