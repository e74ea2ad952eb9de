/**
 * The mesh's policy, as written in components/: default-deny service invocation, the sidecar API
 * allowlists, pub/sub topic scopes and component scopes. These tests read the files Dapr reads
 * and check the rules that make the policy safe by construction, so that an edit that opens a
 * hole fails here before it reaches a running stack (test/security/ proves the same against it).
 */
import { ORDER_MAIL_DEAD_LETTER_TOPIC } from '../../apps/user/src/events/order-mail';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PRODUCT_DEAD_LETTER_TOPIC, PRODUCT_TOPICS } from '../../apps/catalog/src/events/contract';
import { STOCK_DEAD_LETTER_TOPIC, STOCK_TOPICS } from '../../apps/inventory/src/events/contract';
import { PAYMENT_TOPICS } from '../../apps/payment/src/events/contract';
import { ORDER_TOPICS } from '../../apps/order/src/events/contract';
import { PAYMENT_DEAD_LETTER_TOPIC } from '../../apps/order/src/events/payment-events';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => parse(readFileSync(path.join(ROOT, file), 'utf8'));

interface Operation { name: string; httpVerb: string[]; action: string }
interface Policy { appId: string; defaultAction: string; trustDomain: string; namespace: string; operations: Operation[] }
interface Rule { name: string; version: string; protocol: string }

const runFile = read('dapr.yaml') as { apps: Array<{ appID: string; configFilePath: string }> };
const APPS = runFile.apps.map((a) => a.appID);
/**
 * The apps that read their sidecar's metadata: actor hosts (the SDK's actor client polls GET
 * /v1.0/metadata before its first call) and the workflow host (its watchdog checks that the
 * sidecar serves its worker).
 */
const METADATA_READERS = ['cart', 'inventory', 'order'];
const configOf = (app: string) => read(`components/config/${app}.yaml`).spec;

describe('sidecar configuration of every app', () => {
  test('dapr.yaml gives each app its own configuration', () => {
    expect(APPS).toEqual(['gateway', 'catalog', 'search', 'cart', 'order', 'payment', 'inventory', 'promotions', 'user']);
    for (const app of runFile.apps) expect(app.configFilePath).toBe(`../../components/config/${app.appID}.yaml`) // relative to appDirPath;
  });

  test.each(APPS)('%s: mTLS on, invocation denied unless a policy allows it, no secret readable', (app) => {
    const spec = configOf(app);
    expect(spec.mtls.enabled).toBe(true);
    expect(spec.accessControl.defaultAction).toBe('deny');
    for (const policy of spec.accessControl.policies as Policy[]) {
      expect(policy).toMatchObject({ defaultAction: 'deny', trustDomain: spec.accessControl.trustDomain, namespace: 'default' });
      expect(APPS).toContain(policy.appId);
      for (const op of policy.operations) {
        expect(op.action).toBe('allow');
        expect(op.httpVerb.length).toBeGreaterThan(0);
        expect(op.httpVerb).not.toContain('*');
        // Dapr's callbacks are never another app's to call.
        expect(op.name).not.toMatch(/^\/(dapr|actors|v1\.0)(\/|$)|\*\*/);
      }
    }
    expect(spec.secrets.scopes).toEqual([{ storeName: 'envsecrets', defaultAccess: 'deny' }]);
  });

  test.each(APPS)('%s: the sidecar API is an allowlist over HTTP and gRPC, and never secrets or shutdown', (app) => {
    const allowed = configOf(app).api.allowed as Rule[];
    expect(allowed.some((r) => r.protocol === 'http')).toBe(true);
    expect(allowed.some((r) => r.protocol === 'grpc')).toBe(true); // without a gRPC rule, the gRPC API would be all open
    for (const forbidden of ['secrets', 'shutdown', ...(app === 'user' ? [] : ['bindings']), 'configuration', 'lock', 'crypto', 'jobs']) {
      expect(allowed.map((r) => r.name)).not.toContain(forbidden);
    }
    // Metadata (components, subscriptions, actor types) only where actor clients or the workflow watchdog need it.
    expect(allowed.some((r) => r.name === 'metadata')).toBe(METADATA_READERS.includes(app));
  });

  test('the public edge only invokes, and nobody invokes it', () => {
    const gateway = configOf('gateway');
    expect(gateway.api.allowed).toEqual([
      { name: 'invoke', version: 'v1.0', protocol: 'http' },
      { name: 'invoke', version: 'v1', protocol: 'grpc' },
    ]);
    expect(gateway.accessControl.policies).toEqual([]);
  });

  test("the gateway reaches no service's internal routes but the catalog's change feed", () => {
    const internal = APPS.flatMap((app) =>
      (configOf(app).accessControl.policies as Policy[])
        .filter((p) => p.appId === 'gateway')
        .flatMap((p) => p.operations.filter((op) => op.name.startsWith('/internal')).map((op) => `${app} ${op.name}`)),
    );
    expect(internal).toEqual(['catalog /internal/products/changes']);
  });

  test('internal routes are allowed only to the callers that exist', () => {
    const grants = APPS.flatMap((app) =>
      (configOf(app).accessControl.policies as Policy[]).flatMap((p) =>
        p.operations.filter((op) => op.name.startsWith('/internal')).map((op) => `${p.appId} → ${app} ${op.name} ${op.httpVerb.join(',')}`),
      ),
    );
    expect(grants.sort()).toEqual([
      'gateway → catalog /internal/products/changes GET',
      'order → cart /internal/carts POST',
      'order → inventory /internal/inventory POST',
      'order → payment /internal/payments GET,POST',
      'order → promotions /internal/promotions POST',
      'order → user /internal/users GET',
      'search → catalog /internal/products/export GET',
      'search → catalog /internal/products/snapshots/* GET',
      'user → order /internal/orders GET',
    ]);
  });

  test("services call each other's public routes only where they read a fact (beside the gateway)", () => {
    const grants = APPS.flatMap((app) =>
      (configOf(app).accessControl.policies as Policy[])
        .filter((p) => p.appId !== 'gateway')
        .flatMap((p) => p.operations.filter((op) => !op.name.startsWith('/internal')).map((op) => `${p.appId} → ${app} ${op.name} ${op.httpVerb.join(',')}`)),
    );
    expect(grants.filter((g) => !g.includes('/auth/.well-known/jwks.json')).sort()).toEqual([
      'cart → catalog /products/* GET',
      'order → catalog /products/* GET',
      'search → inventory /inventory/* GET',
    ]);
  });
});

describe('pub/sub topic scopes', () => {
  const component = read('components/pubsub.yaml');
  const meta = Object.fromEntries((component.spec.metadata as Array<{ name: string; value?: string }>).map((m) => [m.name, m.value ?? '']));
  const list = (value: string) => value.split(',').filter(Boolean).sort();
  const scopes = (value: string) =>
    Object.fromEntries(value.split(';').filter(Boolean).map((entry) => [entry.split('=')[0]!, list(entry.split('=')[1] ?? '')]));

  test('every topic the code uses exists, and every one of them is protected', () => {
    const used = [...Object.values(PRODUCT_TOPICS), PRODUCT_DEAD_LETTER_TOPIC, ...Object.values(STOCK_TOPICS), STOCK_DEAD_LETTER_TOPIC, ...Object.values(PAYMENT_TOPICS), PAYMENT_DEAD_LETTER_TOPIC, ...Object.values(ORDER_TOPICS), ORDER_MAIL_DEAD_LETTER_TOPIC];
    expect(list(meta.allowedTopics!)).toEqual([...used].sort());
    expect(list(meta.protectedTopics!)).toEqual(list(meta.allowedTopics!));
  });

  test('only the owner of a topic publishes it (and a consumer its own dead letters)', () => {
    expect(scopes(meta.publishingScopes!)).toEqual({
      catalog: [...Object.values(PRODUCT_TOPICS)].sort(),
      search: [PRODUCT_DEAD_LETTER_TOPIC, STOCK_DEAD_LETTER_TOPIC].sort(),
      inventory: [...Object.values(STOCK_TOPICS)],
      payment: [...Object.values(PAYMENT_TOPICS)].sort(),
      order: [PAYMENT_DEAD_LETTER_TOPIC, ...Object.values(ORDER_TOPICS)].sort(),
      user: [ORDER_MAIL_DEAD_LETTER_TOPIC],
    });
  });

  test('only the consumers of a topic subscribe to it (each its own dead letters, to park them)', () => {
    expect(scopes(meta.subscriptionScopes!)).toEqual({
      search: [...Object.values(PRODUCT_TOPICS), PRODUCT_DEAD_LETTER_TOPIC, ...Object.values(STOCK_TOPICS), STOCK_DEAD_LETTER_TOPIC].sort(),
      order: [...Object.values(PAYMENT_TOPICS), PAYMENT_DEAD_LETTER_TOPIC].sort(),
      user: [...Object.values(ORDER_TOPICS), ORDER_MAIL_DEAD_LETTER_TOPIC].sort(),
    });
  });
});

describe('component scopes', () => {
  const components = readdirSync(path.join(ROOT, 'components'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => read(`components/${f}`))
    .filter((doc) => doc.kind === 'Component');

  test('every component names the apps that load it, and the gateway loads none', () => {
    for (const component of components) {
      expect(Array.isArray(component.scopes)).toBe(true);
      expect(component.scopes).not.toContain('gateway');
      for (const app of component.scopes) expect(APPS).toContain(app);
    }
  });
});
