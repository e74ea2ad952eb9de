import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Sidecar } from '../../kernel/dapr/sidecar';

/**
 * daprd 1.18.3 panics when a caller hangs up on a service invocation that runs under a
 * resiliency timeout on its app target (dapr/dapr#10371). The workaround the issue names: no
 * app-target timeouts, callers enforce their own. Checked here in components/resiliency.yaml
 * and in the chart's rendered Resiliency (when helm is on PATH); the retries on 502-504 stay.
 * The real-sidecar proof is test/integration/outage-sidecar-hangup.test.ts.
 */
const ROOT = path.join(__dirname, '..', '..');
const CHART = path.join(ROOT, 'charts', 'dapr-commerce');
const APPS = ['catalog', 'search', 'cart', 'order', 'payment', 'inventory', 'promotions', 'user'];

interface ResiliencySpec {
  policies: { timeouts?: Record<string, string>; retries: Record<string, { matching?: { httpStatusCodes?: string } }> };
  targets: { apps: Record<string, { timeout?: string; retry?: string }> };
}

function expectNoAppTimeouts(spec: ResiliencySpec): void {
  expect(Object.keys(spec.targets.apps).sort()).toEqual([...APPS].sort());
  for (const [app, target] of Object.entries(spec.targets.apps)) {
    expect({ app, timeout: target.timeout }).toEqual({ app, timeout: undefined });
    expect(target.retry).toBe('invocation');
  }
  expect(spec.policies.retries.invocation!.matching?.httpStatusCodes).toBe('502-504');
}

test('components/resiliency.yaml puts no timeout on any app target and keeps the retries on 502-504', () => {
  const doc = parse(readFileSync(path.join(ROOT, 'components', 'resiliency.yaml'), 'utf8')) as { spec: ResiliencySpec };
  expectNoAppTimeouts(doc.spec);
});

const HELM = process.env.HELM || 'helm';
const helmFound = spawnSync(HELM, ['version', '--short'], { encoding: 'utf8' }).status === 0;
(helmFound ? test : test.skip)('the chart’s rendered Resiliency puts no timeout on any app target', () => {
  const out = execFileSync(HELM, [
    'template', 't', CHART, '--namespace', 'commerce-resiliency-test', '--kube-version', '1.31.0',
    '--set', 'secret.create=true', '--set', 'postgres.password=x', '--set', 'rabbitmq.password=x',
    '--set', `tokenSigning.keyEncryptionSecret=${randomBytes(32).toString('base64')}`,
  ], { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  const resiliency = parseAllDocuments(out).map((d) => d.toJS()).filter((m) => m?.kind === 'Resiliency');
  expect(resiliency).toHaveLength(1);
  expectNoAppTimeouts(resiliency[0].spec);
});

test('Sidecar.invoke bounds every call by default (no call waits for ever) without hanging up on the sidecar', async () => {
  const closed: string[] = [];
  const pending: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    req.socket.once('close', () => closed.push('closed'));
    pending.push(() => res.end('late'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const sidecar = new Sidecar((server.address() as AddressInfo).port, '127.0.0.1', undefined, 100);
    expect(sidecar.invokeTimeoutMs).toBe(100);
    // The server never answers on its own: only the bound ends the wait.
    await expect(sidecar.invoke('slow', '/slow')).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(closed).toEqual([]); // gave up waiting; the connection stays open until the answer is written
    // A call may ask for its own bound.
    const own = Date.now();
    await expect(sidecar.invoke('slow', '/slow', { timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - own).toBeGreaterThanOrEqual(250);
    for (const answer of pending) answer();
    expect(new Sidecar(3500).invokeTimeoutMs).toBe(Number(process.env.DAPR_INVOKE_TIMEOUT_MS) || 10_000);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
