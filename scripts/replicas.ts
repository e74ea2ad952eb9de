/**
 * Writes the replica plan for `npm run up` (scripts/up.sh runs it before `dapr run`):
 *
 *   SCALE=gateway=2,cart=2 node dist/scripts/replicas.js plan
 *
 * Into $RUN_DIR/replicas: `dapr.replica-K.yaml` per replica beyond dapr.yaml (and replica 1's
 * when nginx takes the gateway's port), `run-files` (one path per line, replica 1 first),
 * `plan.json` (every instance and its ports, read by the tests), `prometheus-apps.json` and
 * `prometheus-sidecars.json` (Prometheus file discovery of the extra replicas) and `gateways` (nginx's upstream ports).
 * The rules: scripts/lib/replicas.ts.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { parseScale, planReplicas, ScaleError, type Instance, type RunFile } from './lib/replicas';

const ROOT = process.env.ROOT ?? path.resolve(__dirname, '../..');
const OUT = path.join(process.env.RUN_DIR ?? path.join(ROOT, '.data/run'), 'replicas');

/** dapr.yaml with every path absolute, so a run file written elsewhere means the same. */
function baseRunFile(): RunFile {
  const base = parse(readFileSync(path.join(ROOT, 'dapr.yaml'), 'utf8')) as RunFile;
  base.common.resourcesPaths = base.common.resourcesPaths.map((p) => path.resolve(ROOT, p));
  for (const app of base.apps) {
    app.appDirPath = path.resolve(ROOT, app.appDirPath);
    app.configFilePath = path.resolve(app.appDirPath, app.configFilePath);
  }
  return base;
}

/** Prometheus file discovery of the apps' or the sidecars' metrics: replica 1 is in the static config; these are the others. */
function extraTargets(instances: Instance[], port: (i: Instance) => number): string {
  const targets = instances
    .filter((i) => i.replica > 1)
    .map((i) => ({ targets: [`127.0.0.1:${port(i)}`], labels: { app: i.app, replica: String(i.replica) } }));
  return `${JSON.stringify(targets, null, 2)}\n`;
}

function main(): void {
  const base = baseRunFile();
  const plan = planReplicas(base, parseScale(process.env.SCALE, base.apps.map((a) => a.appID)));
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const runFiles = plan.runFiles.map((file, i) => {
    // Replica 1 is dapr.yaml itself unless nginx moved the gateway.
    if (i === 0 && plan.gatewayUpstreams.length === 0) return path.join(ROOT, 'dapr.yaml');
    const target = path.join(OUT, `dapr.replica-${i + 1}.yaml`);
    writeFileSync(target, `# Written by scripts/replicas.ts for SCALE=${process.env.SCALE ?? ''}; edits are overwritten.\n${stringify(file)}`);
    return target;
  });
  writeFileSync(path.join(OUT, 'run-files'), `${runFiles.join('\n')}\n`);
  writeFileSync(path.join(OUT, 'plan.json'), `${JSON.stringify({ scale: plan.scale, instances: plan.instances, gatewayUpstreams: plan.gatewayUpstreams }, null, 2)}\n`);
  writeFileSync(path.join(OUT, 'prometheus-apps.json'), extraTargets(plan.instances, (i) => i.appMetricsPort));
  writeFileSync(path.join(OUT, 'prometheus-sidecars.json'), extraTargets(plan.instances, (i) => i.sidecarMetricsPort));
  writeFileSync(path.join(OUT, 'gateways'), plan.gatewayUpstreams.map((p) => `${p}\n`).join(''));
}

const [command] = process.argv.slice(2);
try {
  if (command !== 'plan') throw new ScaleError('usage: node dist/scripts/replicas.js plan   (reads SCALE, e.g. SCALE=gateway=2,cart=2)');
  main();
} catch (err) {
  if (!(err instanceof ScaleError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
