/**
 * Parked events (messages a consumer could not process: refused as poison, or out of delivery
 * retries), as an administrator through the public gateway:
 *
 *   npm run events:parked                        # every consumer's parked events, newest first
 *   npm run events:replay                        # run every parked event through its handler again
 *   npm run events:replay -- --app search --topic catalog.product.updated
 *   npm run events:replay -- --app order --id <parked id> [--id …]
 *
 * Handlers are idempotent, so a replay is a redelivery: one that succeeds is marked replayed,
 * one refused again stays parked with its new reason. Credentials, GATEWAY_URL and exit codes:
 * scripts/lib/operator.ts.
 */
import { adminAuth, call, gatewayUrl, runOperatorCommand, UsageError } from './lib/operator';

/** The apps that park events (kernel/http/dead-letter-routes.ts, mounted by each consumer). */
const CONSUMERS = ['search', 'order'] as const;
const USAGE = 'usage: node dist/scripts/events.js parked [--app A] [--all] | replay [--app A] [--topic T] [--id ID ...]';

interface Options { command: 'parked' | 'replay'; apps: string[]; topic?: string; ids: string[]; all: boolean }

function parseArgs(args: string[]): Options {
  const [command, ...rest] = args;
  if (command !== 'parked' && command !== 'replay') throw new UsageError(USAGE);
  const options: Options = { command, apps: [...CONSUMERS], ids: [], all: false };
  for (let i = 0; i < rest.length; i += 1) {
    const flag = rest[i];
    const value = rest[i + 1];
    if (flag === '--all' && command === 'parked') options.all = true;
    else if (flag === '--app' && value && (CONSUMERS as readonly string[]).includes(value)) (options.apps = [value]), (i += 1);
    else if (flag === '--topic' && value) (options.topic = value), (i += 1);
    else if (flag === '--id' && value && command === 'replay') options.ids.push(value), (i += 1);
    else throw new UsageError(USAGE);
  }
  return options;
}

runOperatorCommand('events', async () => {
  const options = parseArgs(process.argv.slice(2));
  const gateway = gatewayUrl();
  const auth = await adminAuth(gateway);
  const answers: Record<string, unknown> = {};
  for (const app of options.apps) {
    const base = `${gateway}/admin/dead-letters/${app}`;
    if (options.command === 'parked') {
      const query = new URLSearchParams({ ...(options.all ? {} : { status: 'parked' }), ...(options.topic ? { topic: options.topic } : {}) });
      answers[app] = await call('GET', `${base}?${query}`, auth);
    } else {
      answers[app] = await call('POST', `${base}/replay`, auth, { ...(options.ids.length ? { ids: options.ids } : {}), ...(options.topic ? { topic: options.topic } : {}) });
    }
  }
  return answers;
});
