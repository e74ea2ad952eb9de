/**
 * Rebuilds the search index from the catalog without downtime, as an administrator through the
 * public gateway (the routes are `access: 'admin'`), and prints the search app's JSON answer:
 *
 *   ADMIN_EMAIL=… ADMIN_PASSWORD=… npm run search:reindex           # POST /search/reindex
 *   ADMIN_EMAIL=… ADMIN_PASSWORD=… npm run search:reindex -- --force # after a crashed rebuild
 *   ADMIN_TOKEN=… npm run search:reindex:status                      # GET /search/reindex
 *
 * Credentials, GATEWAY_URL and exit codes: scripts/lib/operator.ts.
 */
import { adminAuth, call, gatewayUrl, runOperatorCommand, UsageError } from './lib/operator';

const USAGE = 'usage: node dist/scripts/search-reindex.js [start [--force]|status]';

function parseArgs(args: string[]): { command: 'start' | 'status'; force: boolean } {
  const [command = 'start', ...rest] = args;
  if (command === 'start' && rest.every((a) => a === '--force')) return { command, force: rest.length > 0 };
  if (command === 'status' && rest.length === 0) return { command, force: false };
  throw new UsageError(USAGE);
}

runOperatorCommand('search-reindex', async () => {
  const { command, force } = parseArgs(process.argv.slice(2));
  const gateway = gatewayUrl();
  const auth = await adminAuth(gateway);
  return command === 'start'
    ? call('POST', `${gateway}/search/reindex${force ? '?force=true' : ''}`, auth)
    : call('GET', `${gateway}/search/reindex`, auth);
});
