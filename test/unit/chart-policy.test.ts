/**
 * The Helm chart (charts/dapr-commerce) renders the mesh's security policy from `dapr.policy` in
 * its values.yaml; the local stack reads it from components/. These tests keep the two equal, so
 * that a rule added, widened or removed on one side only fails here:
 *  - always: the chart's values against components/config/<app>.yaml (api.allowed, access-control
 *    callers, operations, verbs and actions, trust domain), components/pubsub.yaml (topic lists
 *    and scopes) and the component scopes of components/*.yaml;
 *  - when a `helm` binary is on PATH (or in $HELM): the RENDERED Configurations, Components,
 *    Deployments and token Secrets against the same files.
 * test/unit/dapr-policy.test.ts checks that the local policy itself is safe.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = path.join(__dirname, '..', '..');
const CHART = path.join(ROOT, 'charts', 'dapr-commerce');
const read = (file: string) => parse(readFileSync(path.join(ROOT, file), 'utf8'));

interface Operation { name: string; httpVerb: string[]; action?: string }
interface Policy { appId: string; defaultAction: string; trustDomain: string; namespace: string; operations: Operation[] }
interface Rule { name: string; version: string; protocol: string }
interface MetadataItem { name: string; value?: string; secretKeyRef?: { name: string; key: string } }
interface Component { kind: string; metadata: { name: string }; spec: { type: string; version: string; metadata: MetadataItem[] }; auth?: { secretStore: string }; scopes?: string[] }
interface ChartAppPolicy { api: Rule[]; accessControl: Record<string, Array<{ name: string; httpVerb: string[] }> | null> }
interface ChartPolicy {
  trustDomain: string;
  apps: Record<string, ChartAppPolicy>;
  pubsub: { topics: string[]; publishingScopes: Record<string, string[]>; subscriptionScopes: Record<string, string[]> };
  componentScopes: Record<string, string[]>;
}

const runFile = read('dapr.yaml') as { apps: Array<{ appID: string }> };
const APPS = runFile.apps.map((a) => a.appID);
const localConfig = (app: string) => read(`components/config/${app}.yaml`).spec;
const values = read('charts/dapr-commerce/values.yaml');
const policy = values.dapr.policy as ChartPolicy;

/** Local components by name (components/*.yaml, without the local-only secret store). */
const LOCAL_COMPONENTS: Record<string, Component> = Object.fromEntries(
  ['pubsub.yaml', 'statestore.yaml', 'actorstore-redis.yaml', 'actorstore-postgres.yaml', 'smtp.yaml'].map((f) => {
    const doc = read(`components/${f}`) as Component;
    return [doc.metadata.name, doc];
  }),
);

/**
 * Metadata items whose value is the deployment's, not the policy's: the chart takes them from its
 * values (component -> item -> key of that values section), the local file has the local server's.
 */
const DEPLOYMENT_ITEMS: Record<string, { section: string; items: Record<string, string> }> = {
  mail: { section: 'smtp', items: { host: 'host', port: 'port', skipTLSVerify: 'skipTLSVerify', emailFrom: 'emailFrom' } },
};

const sorted = (list: string[]) => [...list].sort();
const metaOf = (component: Component) => Object.fromEntries(component.spec.metadata.map((m) => [m.name, m]));
const topicList = (value: string) => sorted(value.split(',').filter(Boolean));
const topicScopes = (value: string) =>
  Object.fromEntries(value.split(';').filter(Boolean).map((entry) => [entry.split('=')[0]!, topicList(entry.split('=')[1] ?? '')]));
const sortedScopes = (scopes: Record<string, string[]>) => Object.fromEntries(Object.entries(scopes).map(([app, topics]) => [app, sorted(topics)]));

/** A caller → operations map of local policies, in the chart's terms (every rule an allow rule). */
const callersOf = (policies: Policy[]) =>
  Object.fromEntries(policies.map((p) => [p.appId, p.operations.map((op) => ({ name: op.name, httpVerb: op.httpVerb }))]));

describe('chart values (dapr.policy) equal the local policy', () => {
  test('the chart deploys exactly the apps of dapr.yaml, each with a policy', () => {
    expect(sorted(Object.keys(values.services))).toEqual(sorted(APPS));
    expect(sorted(Object.keys(policy.apps))).toEqual(sorted(APPS));
  });

  test('one trust domain, the local one', () => {
    for (const app of APPS) {
      const ac = localConfig(app).accessControl;
      expect(ac.trustDomain).toBe(policy.trustDomain);
      for (const p of ac.policies as Policy[]) expect(p.trustDomain).toBe(policy.trustDomain);
    }
  });

  test.each(APPS)('%s: the same sidecar API allowlist', (app) => {
    expect(policy.apps[app]!.api).toEqual(localConfig(app).api.allowed);
  });

  test.each(APPS)('%s: the same callers, operations and verbs', (app) => {
    const ac = localConfig(app).accessControl;
    // The chart can only express what the local files do: deny by default, allow listed rules.
    expect(ac.defaultAction).toBe('deny');
    for (const p of ac.policies as Policy[]) {
      expect(p.defaultAction).toBe('deny');
      for (const op of p.operations) expect(op.action).toBe('allow');
    }
    const chartCallers = Object.fromEntries(Object.entries(policy.apps[app]!.accessControl ?? {}).filter(([, ops]) => ops != null));
    expect(chartCallers).toEqual(callersOf(ac.policies));
  });

  test('the same pub/sub topics, all protected, and the same publishing and subscription scopes', () => {
    const meta = metaOf(LOCAL_COMPONENTS.pubsub!);
    expect(sorted(policy.pubsub.topics)).toEqual(topicList(meta.allowedTopics!.value!));
    expect(sorted(policy.pubsub.topics)).toEqual(topicList(meta.protectedTopics!.value!));
    expect(sortedScopes(policy.pubsub.publishingScopes)).toEqual(topicScopes(meta.publishingScopes!.value!));
    expect(sortedScopes(policy.pubsub.subscriptionScopes)).toEqual(topicScopes(meta.subscriptionScopes!.value!));
  });

  test('the same component scopes', () => {
    expect(sorted(Object.keys(policy.componentScopes))).toEqual(sorted(Object.keys(LOCAL_COMPONENTS)));
    for (const [name, component] of Object.entries(LOCAL_COMPONENTS)) {
      expect(sorted(policy.componentScopes[name]!)).toEqual(sorted(component.scopes!));
    }
  });

  test('both Dapr tokens are on by default', () => {
    expect(values.dapr.appToken.enabled).toBe(true);
    expect(values.dapr.apiToken.enabled).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------
// The rendered chart. Needs a helm binary (e.g. `GOFLAGS=-mod=mod go install
// helm.sh/helm/v3/cmd/helm@v3.16.4`, then ~/go/bin on PATH); skipped, with a note, without one.
// ------------------------------------------------------------------------------------------------
const HELM = process.env.HELM || 'helm';
const helmFound = spawnSync(HELM, ['version', '--short'], { encoding: 'utf8' }).status === 0;
const NAMESPACE = 'commerce-policy-test';
const RELEASE = 't';

const describeRendered = helmFound ? describe : describe.skip;
if (!helmFound) {
  console.warn(
    `chart-policy.test.ts: no helm binary on PATH (or in $HELM): the RENDERED chart is not compared with components/ ` +
      `(the values-level comparison still ran). Install one with ` +
      `\`GOFLAGS=-mod=mod go install helm.sh/helm/v3/cmd/helm@v3.16.4\` and put ~/go/bin on PATH.`,
  );
}

interface Manifest { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> }; [key: string]: any }

describeRendered(`rendered chart (helm template, namespace ${NAMESPACE}) equals the local policy${helmFound ? '' : ' [skipped: no helm on PATH]'}`, () => {
  let manifests: Manifest[] = [];
  const byKind = (kind: string, from = manifests) => from.filter((m) => m.kind === kind);
  const named = (kind: string, name: string, from = manifests) => {
    const found = byKind(kind, from).find((m) => m.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name} rendered`);
    return found;
  };
  const configName = (app: string) => `${values.dapr.configName}-${app}`;
  /** `helm template` with the chart's Secret rendered, plus `extra` --set pairs. */
  const render = (extra: string[] = []) => {
    const args = [
      'template', RELEASE, CHART,
      '--namespace', NAMESPACE,
      // A helm built with plain `go install` believes it talks to Kubernetes 1.20, below the chart's kubeVersion.
      '--kube-version', '1.31.0',
      '--set', 'secret.create=true',
      '--set', 'postgres.password=x',
      '--set', 'rabbitmq.password=x',
      '--set', `tokenSigning.keyEncryptionSecret=${randomBytes(32).toString('base64')}`,
      ...extra.flatMap((pair) => ['--set', pair]),
    ];
    const out = execFileSync(HELM, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return parseAllDocuments(out).map((d) => d.toJS()).filter((m): m is Manifest => m != null);
  };

  beforeAll(() => {
    manifests = render();
    expect(manifests.length).toBeGreaterThan(0);
  });

  test('helm lint --strict passes', () => {
    const lint = spawnSync(HELM, ['lint', '--strict', CHART, '--kube-version', '1.31.0'], { encoding: 'utf8', timeout: 60_000 });
    expect(`${lint.stdout}${lint.stderr}`).toContain('0 chart(s) failed');
    expect(lint.status).toBe(0);
  });

  test('the Prometheus rules ship as the local Prometheus loads them: a ConfigMap by default, a PrometheusRule when asked', () => {
    const file = readFileSync(path.join(CHART, 'files', 'prometheus', 'rules.yml'), 'utf8');
    const configMap = named('ConfigMap', `${RELEASE}-dapr-commerce-prometheus-rules`);
    expect(configMap.data['dapr-commerce.rules.yml'].trim()).toBe(file.trim());
    expect(byKind('PrometheusRule')).toEqual([]);
    const [rule] = byKind('PrometheusRule', render(['monitoring.prometheusRule.enabled=true']));
    expect(rule!.spec).toEqual({ groups: parse(file).groups });
  });

  test('the Grafana dashboards ship as files/grafana holds them, labelled for the dashboard sidecar', () => {
    const configMap = named('ConfigMap', `${RELEASE}-dapr-commerce-grafana-dashboards`);
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    for (const file of ['business.json', 'dapr.json']) {
      expect(JSON.parse(configMap.data[file])).toEqual(JSON.parse(readFileSync(path.join(CHART, 'files', 'grafana', file), 'utf8')));
    }
  });

  test('the read replica: no PG_REPLICA_* without a host (every read on the primary); with one, the apps get its address and policy', () => {
    const settings = (from: Manifest[]) => byKind('ConfigMap', from).find((m) => m.data?.PG_HOST !== undefined)!.data as Record<string, string>;
    expect(Object.keys(settings(manifests)).filter((k) => k.startsWith('PG_REPLICA'))).toEqual([]);
    const withReplica = settings(render(['postgres.replica.host=pg-standby', 'postgres.replica.tokenless=replica']));
    expect(withReplica).toMatchObject({ PG_REPLICA_HOST: 'pg-standby', PG_REPLICA_PORT: '5432', PG_REPLICA_WAIT_MS: '200', PG_REPLICA_TOKENLESS: 'replica' });
    expect(() => render(['postgres.replica.tokenless=sometimes'])).toThrow();
  });

  test('autoscaling: off by default (Deployments keep their replicas); on, one HPA per app on CPU owns the replicas, with per-service overrides', () => {
    expect(byKind('HorizontalPodAutoscaler')).toEqual([]);
    expect(byKind('Deployment').every((d) => typeof d.spec.replicas === 'number')).toBe(true);
    const scaled = render(['autoscaling.enabled=true', 'services.cart.autoscaling.maxReplicas=4']);
    const hpas = byKind('HorizontalPodAutoscaler', scaled);
    expect(sorted(hpas.map((h) => h.spec.scaleTargetRef.name))).toEqual(sorted(byKind('Deployment', scaled).map((d) => d.metadata.name)));
    expect(hpas).toHaveLength(APPS.length);
    expect(byKind('Deployment', scaled).map((d) => d.spec.replicas)).toEqual(APPS.map(() => undefined));
    const cart = hpas.find((h) => h.metadata.name === `${RELEASE}-dapr-commerce-cart`)!;
    expect(cart.spec).toMatchObject({ minReplicas: 2, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] });
    expect(() => render(['autoscaling.enabled=true', 'autoscaling.minReplicas=5', 'autoscaling.maxReplicas=3'])).toThrow(/minReplicas 5 is above maxReplicas 3/);
  });

  test('one Configuration per app, and no control-plane configuration', () => {
    expect(sorted(byKind('Configuration').map((c) => c.metadata.name))).toEqual(sorted(APPS.map(configName)));
    expect(byKind('Configuration').map((c) => c.metadata.name)).not.toContain('daprsystem');
  });

  test.each(APPS)('%s: the rendered Configuration has the local allowlist, secrets scopes and access control', (app) => {
    const local = localConfig(app);
    const spec = named('Configuration', configName(app)).spec;
    expect(spec.api.allowed).toEqual(local.api.allowed);
    // The chart's Components read the built-in `kubernetes` store where the local ones read `envsecrets`.
    expect(spec.secrets.scopes).toEqual(
      (local.secrets.scopes as Array<{ storeName: string; defaultAccess: string }>).map((s) => ({ ...s, storeName: s.storeName === 'envsecrets' ? 'kubernetes' : s.storeName })),
    );
    expect(spec.accessControl.defaultAction).toBe(local.accessControl.defaultAction);
    expect(spec.accessControl.trustDomain).toBe(local.accessControl.trustDomain);
    // Same rules; the namespace is the release's instead of the local `default`.
    const byAppId = (policies: Policy[]) => Object.fromEntries(policies.map((p) => [p.appId, p]));
    const expected = (local.accessControl.policies as Policy[]).map((p) => ({ ...p, namespace: NAMESPACE }));
    expect(byAppId(spec.accessControl.policies ?? [])).toEqual(byAppId(expected));
    // Tracing and metrics as the local files; mTLS is the control plane's on Kubernetes.
    expect(spec.tracing.samplingRate).toBe(local.tracing.samplingRate);
    expect(spec.metric).toEqual(local.metric);
    expect(spec.logging).toEqual(local.logging);
    expect(spec.mtls).toBeUndefined();
  });

  test.each(APPS)('%s: the Deployment names its Configuration and both token Secrets', (app) => {
    const deployment = byKind('Deployment').find((d) => d.spec.template.metadata.annotations['dapr.io/app-id'] === app);
    expect(deployment).toBeDefined();
    const annotations = deployment!.spec.template.metadata.annotations as Record<string, string>;
    expect(annotations['dapr.io/config']).toBe(configName(app));
    const apiTokenSecret = annotations['dapr.io/api-token-secret'];
    expect(apiTokenSecret).toBeTruthy();
    expect(annotations['dapr.io/app-token-secret']).toBeTruthy();
    const container = (deployment!.spec.template.spec.containers as Array<{ name: string; env: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }> }>).find((c) => c.name === 'app')!;
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.valueFrom?.secretKeyRef]));
    expect(env.DAPR_API_TOKEN).toEqual({ name: apiTokenSecret, key: 'token' });
    expect(env.APP_API_TOKEN).toEqual({ name: annotations['dapr.io/app-token-secret'], key: 'token' });
    // The Secret is rendered, with a token of its own.
    const secret = named('Secret', apiTokenSecret!);
    expect(Buffer.from(secret.data.token, 'base64').toString('utf8')).toMatch(/^[A-Za-z0-9]{32,}$/);
  });

  test('every app has its own Dapr API token', () => {
    const tokens = APPS.map((app) => {
      const deployment = byKind('Deployment').find((d) => d.spec.template.metadata.annotations['dapr.io/app-id'] === app)!;
      return named('Secret', deployment.spec.template.metadata.annotations['dapr.io/api-token-secret']).data.token as string;
    });
    expect(new Set(tokens).size).toBe(APPS.length);
  });

  test('the rendered Components have the local metadata, topic lists and scopes', () => {
    expect(sorted(byKind('Component').map((c) => c.metadata.name))).toEqual(sorted(Object.keys(LOCAL_COMPONENTS)));
    for (const rendered of byKind('Component') as unknown as Component[]) {
      const local = LOCAL_COMPONENTS[rendered.metadata.name]!;
      expect(rendered.spec.type).toBe(local.spec.type);
      expect(rendered.spec.version).toBe(local.spec.version);
      expect(rendered.auth).toEqual({ secretStore: 'kubernetes' });
      expect(sorted(rendered.scopes ?? [])).toEqual(sorted(local.scopes!));
      const renderedMeta = metaOf(rendered);
      const localMeta = metaOf(local);
      expect(sorted(Object.keys(renderedMeta))).toEqual(sorted(Object.keys(localMeta)));
      const deployment = DEPLOYMENT_ITEMS[rendered.metadata.name];
      for (const [name, item] of Object.entries(localMeta)) {
        const mine = renderedMeta[name]!;
        const key = deployment?.items[name];
        // The deployment's own value (e.g. the SMTP server), from the chart's values section, as a plain value.
        if (key) expect({ name, value: mine.value }).toEqual({ name, value: String(values[deployment!.section][key]) });
        else if (item.secretKeyRef) expect(mine.secretKeyRef?.key).toBe(item.secretKeyRef.key);
        else if (/^(allowed|protected)Topics$/.test(name)) expect(topicList(mine.value!)).toEqual(topicList(item.value!));
        else if (/^(publishing|subscription)Scopes$/.test(name)) expect(topicScopes(mine.value!)).toEqual(topicScopes(item.value!));
        else expect({ name, value: mine.value }).toEqual({ name, value: item.value });
      }
    }
  });

  test('mail: SMTP credentials only with smtp.auth, read from the Secret', () => {
    const plain = metaOf(named('Component', 'mail') as unknown as Component);
    expect(plain.user).toBeUndefined();
    expect(plain.password).toBeUndefined();
    const withAuth = render(['smtp.auth=true', 'smtp.user=shop', 'smtp.password=p w']);
    const meta = metaOf(named('Component', 'mail', withAuth) as unknown as Component);
    const secret = byKind('Secret', withAuth).find((s) => s.stringData?.RABBITMQ_URL)!;
    expect(meta.user).toEqual({ name: 'user', secretKeyRef: { name: secret.metadata.name, key: 'SMTP_USER' } });
    expect(meta.password).toEqual({ name: 'password', secretKeyRef: { name: secret.metadata.name, key: 'SMTP_PASSWORD' } });
    expect([secret.stringData.SMTP_USER, secret.stringData.SMTP_PASSWORD]).toEqual(['shop', 'p w']);
  });
});
