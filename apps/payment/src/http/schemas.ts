export const createIntentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['order_id', 'user_id', 'amount_minor', 'currency', 'attempt'],
  properties: {
    order_id: { type: 'string', format: 'uuid' },
    user_id: { type: 'string', format: 'uuid' },
    amount_minor: { type: 'integer', minimum: 1, maximum: 99999999 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    attempt: { type: 'integer', minimum: 1, maximum: 1000 },
  },
} as const;

export const refundBody = {
  type: 'object',
  additionalProperties: false,
  properties: { amount_minor: { type: 'integer', minimum: 1, maximum: 99999999 } },
} as const;

export const listPaymentsQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['order_id'],
  properties: { order_id: { type: 'string', format: 'uuid' } },
} as const;

/** Stripe's event envelope: only its shape is checked here; the signature is what counts. */
export const webhookBody = { type: 'object' } as const;
