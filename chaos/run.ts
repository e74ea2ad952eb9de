/**
 * npm run chaos: every fault-injection scenario against the running stack (the order and the
 * overlaps: chaos/scenarios/index.ts). One line per scenario with its invariants and figures; chaos/results/latest.{json,md}; exit code 1 when
 * any invariant is violated or a scenario could not finish.
 *   CHAOS_PROFILE=full|short (default full), CHAOS_ONLY=name,name (scenario name prefixes).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../test/support/processes';
import { profileNamed } from './lib/profile';
import { folded, runScenario, summaryLine, type Scenario, type ScenarioContext, type ScenarioResult } from './lib/scenario';
import { AFTER, BESIDE, SCENARIOS } from './scenarios';
import { captureStack, stackIntact } from './scenarios/stack-intact';

function selected(list: Scenario[]): Scenario[] {
  const only = (process.env.CHAOS_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return only.length === 0 ? list : list.filter((s) => only.some((o) => s.name.startsWith(o)));
}

export async function runChaos(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const stack = captureStack();
  const inTurn = async (list: Scenario[]) => {
    for (const scenario of selected(list)) {
      ctx.log(`scenario ${scenario.name}`);
      const result = await runScenario(scenario, ctx);
      ctx.log(summaryLine(result));
      results.push(result);
    }
  };
  const beside = selected(BESIDE).map((s) => runScenario(s, ctx));
  await inTurn(SCENARIOS);
  for (const r of await Promise.all(beside)) {
    ctx.log(summaryLine(r));
    results.push(r);
  }
  await inTurn(AFTER);
  // Not a selectable scenario: it checks what the others left behind.
  const intact = await runScenario(stackIntact(stack), ctx);
  ctx.log(summaryLine(intact));
  results.push(intact);
  return results;
}

function markdown(results: ScenarioResult[], profile: string): string {
  const rows = results.map((r) => `| ${r.name} | ${r.ok ? 'pass' : '**FAIL**'} | ${folded(r.invariants).join('; ')} | ${Object.entries(r.figures).map(([k, v]) => `${k} ${v}`).join('; ')} | ${r.seconds} s |`);
  return [`Chaos run (${profile}), ${new Date().toISOString()}`, '', '| scenario | verdict | invariants | figures | time |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}

async function main(): Promise<void> {
  const profile = profileNamed(process.env.CHAOS_PROFILE);
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  log(`chaos profile ${profile.name}: ${JSON.stringify(profile)}`);
  const results = await runChaos({ profile, log });
  const dir = path.join(ROOT, 'chaos', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'latest.json'), JSON.stringify({ profile, results }, null, 2));
  writeFileSync(path.join(dir, 'latest.md'), markdown(results, profile.name));
  console.log('\n' + results.map(summaryLine).join('\n'));
  const failed = results.filter((r) => !r.ok);
  console.log(failed.length === 0 ? `\nchaos: all ${results.length} scenarios held` : `\nchaos: ${failed.length} of ${results.length} scenarios violated an invariant`);
  process.exit(failed.length === 0 ? 0 : 1);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(2);
  });
}
