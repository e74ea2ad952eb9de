import type { JSONSchema } from '../../../../kernel/validation';


export const listProductsQuery = {
  type: 'object',
  properties: { limit: { type: 'string', pattern: '^(?:[1-9]|[1-9][0-9]|100)$', description: '1–100, default 20' } },
  additionalProperties: false,
} as const satisfies JSONSchema;

export const product = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    sku: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    base_price: { type: 'string', description: 'Decimal amount, exact (e.g. "1299.99")' },
    base_price_minor: { type: 'integer' },
    currency: { type: 'string' },
    category_id: { type: ['string', 'null'] },
    status: { enum: ['draft', 'active', 'archived'] },
    version: { type: 'integer' },
  },
  required: ['id', 'sku', 'name', 'base_price', 'base_price_minor', 'currency', 'status', 'version'],
} as const satisfies JSONSchema;
