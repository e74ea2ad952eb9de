/**
 * What the operator commands (npm run search:reindex, npm run events:*) share: they act as an
 * administrator through the public gateway, never through a sidecar's back door.
 *
 * Credentials: ADMIN_TOKEN (an access token), else ADMIN_EMAIL + ADMIN_PASSWORD (signs in with
 * POST /auth/login). GATEWAY_URL defaults to http://127.0.0.1:8000. Exit codes: 0 done, 1 the
 * gateway or a service said no (the problem is printed to stderr), 2 usage or no credentials.
 */

/** Operator calls answer at once (long work runs in the background): never long. */
const TIMEOUT_MS = 30_000;

/** A mistake in how the command was called (exit 2), as opposed to an answer saying no (exit 1). */
export class UsageError extends Error {}

/** A non-2xx answer: its body (problem+json) goes to stderr as it came. */
export class Refused extends Error {
  constructor(
    readonly what: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${what} answered ${status}`);
  }
}

export const gatewayUrl = (): string => (process.env.GATEWAY_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');

export async function call(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<unknown> {
  const what = `${method} ${new URL(url).pathname}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new Error(`${what} failed: ${cause ?? (err as Error).message} (is the stack up? GATEWAY_URL=${new URL(url).origin})`);
  }
  const text = await res.text();
  if (!res.ok) throw new Refused(what, res.status, text);
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    throw new Error(`${what} answered ${res.status} with a body that is not JSON`);
  }
}

/** `authorization` for an administrator: ADMIN_TOKEN, or a sign-in with ADMIN_EMAIL/ADMIN_PASSWORD. */
export async function adminAuth(gateway: string): Promise<Record<string, string>> {
  const token = process.env.ADMIN_TOKEN;
  if (token) return { authorization: `Bearer ${token}` };
  const email = process.env.ADMIN_EMAIL;
  const password = process.env.ADMIN_PASSWORD;
  if (!email || !password) {
    throw new UsageError('no credentials: set ADMIN_TOKEN (an admin access token), or ADMIN_EMAIL and ADMIN_PASSWORD (an administrator made with npm run create-admin)');
  }
  const answer = (await call('POST', `${gateway}/auth/login`, {}, { email, password })) as { access_token?: unknown } | null;
  if (typeof answer?.access_token !== 'string') throw new Error('POST /auth/login answered without an access_token');
  return { authorization: `Bearer ${answer.access_token}` };
}

/** Runs an operator command: prints its answer as JSON, or says why not with the exit codes above. */
export function runOperatorCommand(name: string, main: () => Promise<unknown>): void {
  main()
    .then((answer) => console.log(JSON.stringify(answer, null, 2)))
    .catch((err) => {
      if (err instanceof Refused) {
        console.error(`${name}: ${err.message}`);
        if (err.body) console.error(err.body);
        process.exit(1);
      }
      console.error(`${name}: ${(err as Error).message}`);
      process.exit(err instanceof UsageError ? 2 : 1);
    });
}
