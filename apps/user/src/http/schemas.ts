import type { JSONSchema } from '../../../../kernel/validation';
import { PASSWORD_POLICY } from '../domain/password-policy';

const email = { type: 'string', format: 'email', maxLength: 254 } as const;
const password = { type: 'string', minLength: PASSWORD_POLICY.min_length, maxLength: PASSWORD_POLICY.max_length } as const;
const refreshToken = { type: 'string', minLength: 20, maxLength: 200 } as const;

export const registerBody = {
  type: 'object',
  properties: { email, password, name: { type: 'string', maxLength: 200 } },
  required: ['email', 'password'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const loginBody = {
  type: 'object',
  // Any length is accepted at login: the policy applies when a password is chosen, not here.
  properties: { email, password: { type: 'string', minLength: 1, maxLength: 1024 } },
  required: ['email', 'password'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const passwordResetRequestBody = {
  type: 'object',
  properties: { email },
  required: ['email'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const passwordResetConfirmBody = {
  type: 'object',
  // The code: 32 random bytes, base64url (43 characters), as mailed.
  properties: { code: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' }, password },
  required: ['code', 'password'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const byEmailQuery = {
  type: 'object',
  properties: { email },
  required: ['email'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const refreshBody = {
  type: 'object',
  properties: { refresh_token: refreshToken },
  required: ['refresh_token'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const tokenPair = {
  type: 'object',
  properties: {
    token_type: { const: 'Bearer' },
    access_token: { type: 'string' },
    expires_in: { type: 'integer' },
    refresh_token: { type: 'string' },
    refresh_expires_in: { type: 'integer' },
  },
  required: ['token_type', 'access_token', 'expires_in', 'refresh_token', 'refresh_expires_in'],
} as const satisfies JSONSchema;

export const profile = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: { enum: ['customer', 'admin'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'email', 'name', 'role'],
} as const satisfies JSONSchema;

/** `:id` is a user id, or `me` for the caller. */
export const userParams = {
  type: 'object',
  properties: { id: { anyOf: [{ const: 'me' }, { type: 'string', format: 'uuid' }] } },
  required: ['id'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const addressParams = {
  type: 'object',
  properties: { id: userParams.properties.id, addressId: { type: 'string', format: 'uuid' } },
  required: ['id', 'addressId'],
  additionalProperties: false,
} as const satisfies JSONSchema;

const line = (max: number) => ({ type: 'string', maxLength: max }) as const;

export const addressBody = {
  type: 'object',
  properties: {
    label: line(50),
    recipient: { type: 'string', minLength: 1, maxLength: 200 },
    line1: { type: 'string', minLength: 1, maxLength: 200 },
    line2: line(200),
    city: { type: 'string', minLength: 1, maxLength: 100 },
    region: line(100),
    postal_code: { type: 'string', minLength: 1, maxLength: 20 },
    country: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' },
    phone: { type: 'string', pattern: '^[+0-9 ()-]{0,30}$' },
    is_default: { type: 'boolean' },
  },
  required: ['recipient', 'line1', 'city', 'postal_code', 'country'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const profilePatch = {
  type: 'object',
  properties: { name: { type: 'string', maxLength: 200 } },
  additionalProperties: false,
  minProperties: 1,
} as const satisfies JSONSchema;

export const roleBody = {
  type: 'object',
  properties: { role: { enum: ['customer', 'admin'] } },
  required: ['role'],
  additionalProperties: false,
} as const satisfies JSONSchema;
