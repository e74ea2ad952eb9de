/** Who is calling, as established from a verified access token. */
export type Role = 'customer' | 'admin';

export interface Caller {
  /** The user id (token `sub`). */
  id: string;
  role: Role;
}

/**
 * Who may call a route. `public`: anyone (a caller is still recognised when a valid token is
 * sent); `customer`: any signed-in user; `admin`: admins only; `internal`: other services
 * through their sidecars, never the gateway (saga steps, the catalog export).
 * Routes are `customer` unless they say otherwise: forgetting gives a 401, not a data leak.
 */
export type Access = 'public' | 'customer' | 'admin' | 'internal';

export const TOKEN_ISSUER = 'dapr-commerce';
export const TOKEN_AUDIENCE = 'dapr-commerce-api';
/** Only this algorithm is accepted: `none`, HMAC confusion and RSA downgrades are refused. */
export const TOKEN_ALGORITHM = 'EdDSA';
