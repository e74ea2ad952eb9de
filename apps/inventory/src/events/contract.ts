/**
 * The inventory's published events: the contract other services (search's in_stock, the
 * storefront) build on. Event-carried state: each event holds the SKU's whole stock after the
 * change. Written to `inventory.outbox` in the transaction that makes the change and published
 * at least once by the kernel's outbox relay. `seq` (the change's newest ledger id, the same number
 * GET /inventory/:sku reports) orders a SKU's events: consumers keep the highest `seq` per SKU
 * (events written before it existed lack it).
 */
import type { FromSchema, JSONSchema } from '../../../../kernel/validation';

export const PUBSUB = 'pubsub';

export const STOCK_TOPICS = {
  changed: 'inventory.stock.changed',
} as const;

/** Where the search service parks stock events it cannot process (it publishes and consumes it). */
export const STOCK_DEAD_LETTER_TOPIC = 'inventory.stock.deadletter';

const figures = {
  on_hand: { type: 'integer', minimum: 0 },
  reserved: { type: 'integer', minimum: 0 },
  available: { type: 'integer', minimum: 0 },
} as const;

export const stockChangedSchema = {
  type: 'object',
  properties: {
    event_id: { type: 'string', format: 'uuid' },
    sku: { type: 'string' },
    ...figures,
    locations: {
      type: 'array',
      items: {
        type: 'object',
        properties: { location: { type: 'string' }, ...figures },
        required: ['location', 'on_hand', 'reserved', 'available'],
      },
    },
    /** The id of the change's newest ledger line: grows with every change of the SKU. */
    seq: { type: 'integer', minimum: 1 },
    /** What caused it: reserve, commit, release, expire, adjustment or return. */
    cause: { type: 'string' },
    occurred_at: { type: 'string', format: 'date-time' },
  },
  required: ['event_id', 'sku', 'on_hand', 'reserved', 'available', 'locations', 'occurred_at'],
} as const satisfies JSONSchema;

export type StockChanged = FromSchema<typeof stockChangedSchema>;
