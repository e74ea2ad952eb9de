/**
 * Rebuilds the search index from the catalog without downtime, as an administrator through the
 * public gateway (the routes are `access: 'admin'`), and prints the search app's JSON answer:
 *
 *   ADMIN_EMAIL=… ADMIN_PASSWORD=… npm run search:reindex           # POST /search/reindex
 *   ADMIN_EMAIL=… ADMIN_PASSWORD=… npm run search:reindex -- --force # after a crashed rebuild
 *   ADMIN_TOKEN=… npm run search:reindex:status                      # GET /search/reindex
 *
 * Credentials: ADMIN_TOKEN (an access token), else ADMIN_EMAIL + ADMIN_PASSWORD (signs in with
 * POST /auth/login). GATEWAY_URL defaults to http://127.0.0.1:8000. Exit codes: 0 done, 1 the
 * gateway or a service said no (the problem is printed to stderr), 2 usage or no credentials.
 */

const USAGE = 'usage: node dist/scripts/search-reindex.js [start [--force]|status]';
/** Starting answers once dual writes run (the copy goes on in the background): never long. */
const TIMEOUT_MS = 30_000;

/** A mistake in how the script was called (exit 2), as opposed to an answer saying no (exit 1). */
class UsageError extends Error {}

/** A non-2xx answer: its body (problem+json) goes to stderr as it came. */
class Refused extends Error {
  constructor(
    readonly what: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${what} answered ${status}`);
  }
}

function parseArgs(args: string[]): { command: 'start' | 'status'; force: boolean } {
  const [command = 'start', ...rest] = args;
  if (command === 'start' && rest.every((a) => a === '--force')) return { command, force: rest.length > 0 };
  if (command === 'status' && rest.length === 0) return { command, force: false };
  throw new UsageError(USAGE);
}

async function call(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<unknown> {
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

async function accessToken(gateway: string): Promise<string> {
  const token = process.env.ADMIN_TOKEN;
  if (token) return token;
  const email = process.env.ADMIN_EMAIL;
  const password = process.env.ADMIN_PASSWORD;
  if (!email || !password) {
    throw new UsageError('no credentials: set ADMIN_TOKEN (an admin access token), or ADMIN_EMAIL and ADMIN_PASSWORD (an administrator made with npm run create-admin)');
  }
  const answer = (await call('POST', `${gateway}/auth/login`, {}, { email, password })) as { access_token?: unknown } | null;
  if (typeof answer?.access_token !== 'string') throw new Error('POST /auth/login answered without an access_token');
  return answer.access_token;
}

async function main(): Promise<void> {
  const { command, force } = parseArgs(process.argv.slice(2));
  const gateway = (process.env.GATEWAY_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
  const auth = { authorization: `Bearer ${await accessToken(gateway)}` };
  const answer = command === 'start'
    ? await call('POST', `${gateway}/search/reindex${force ? '?force=true' : ''}`, auth)
    : await call('GET', `${gateway}/search/reindex`, auth);
  console.log(JSON.stringify(answer, null, 2));
}

main().catch((err) => {
  if (err instanceof Refused) {
    console.error(`search-reindex: ${err.message}`);
    if (err.body) console.error(err.body);
    process.exit(1);
  }
  console.error(`search-reindex: ${(err as Error).message}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
