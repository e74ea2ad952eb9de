/** A SKU: letters, digits, dot, underscore, dash; starts with a letter or digit; at most 64. */
export const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

export const skuSchema = { type: 'string', pattern: SKU_PATTERN } as const;
