/**
 * A fault-injection scenario: it breaks something real on the running stack, drives traffic
 * through the public gateway meanwhile, and checks invariants once everything is back. A
 * scenario never throws for a violated invariant: it reports it, so every scenario runs and
 * the runner exits non-zero at the end.
 */
import type { Profile } from './profile';

export interface Invariant {
  name: string;
  ok: boolean;
  /** What was measured, e.g. "0 of 200" or "drift 0". */
  value: string;
  /** The part of the scenario it belongs to (a round, a restarted service), when there are several. */
  scope?: string;
  /** For counts that must be zero: the count and what it is out of. */
  count?: number;
  of?: number;
}

export interface ScenarioResult {
  name: string;
  ok: boolean;
  invariants: Invariant[];
  /** Figures worth a line in the README (orders checked, kills, outage seconds...). */
  figures: Record<string, number | string>;
  seconds: number;
  /** Set when the scenario could not run to its checks (the stack broke underneath it). */
  error?: string;
}

export interface ScenarioContext {
  profile: Profile;
  log(line: string): void;
}

export interface Scenario {
  name: string;
  run(ctx: ScenarioContext, report: Report): Promise<void>;
}

/** What a scenario fills in while it runs. */
export class Report {
  readonly invariants: Invariant[] = [];
  readonly figures: Record<string, number | string> = {};

  /** Records an invariant: `ok` decides, `value` says what was seen. */
  check(name: string, ok: boolean, value: string | number): void {
    this.record({ name, ok, value: String(value) });
  }

  /** An invariant of the form "this count must be zero". */
  zero(name: string, count: number, of?: number): void {
    this.record({ name, ok: count === 0, value: of === undefined ? String(count) : `${count} of ${of}`, count, ...(of === undefined ? {} : { of }) });
  }

  protected record(invariant: Invariant): void {
    this.invariants.push(invariant);
  }

  figure(name: string, value: number | string): void {
    this.figures[name] = value;
  }

  /** The same report, with the names of the invariants recorded through it prefixed by `label`. */
  scoped(label: string): Report {
    const parent = this;
    const scoped = Object.create(parent) as Report;
    (scoped as unknown as { record(i: Invariant): void }).record = (invariant) => parent.record({ ...invariant, scope: label });
    return scoped;
  }
}

export async function runScenario(scenario: Scenario, ctx: ScenarioContext): Promise<ScenarioResult> {
  const started = Date.now();
  const report = new Report();
  let error: string | undefined;
  // Every wait inside a scenario has its own deadline; this one bounds what they missed (a run
  // that hangs reports the scenario as not finished and goes on; the runner's exit ends it).
  const limitMs = ctx.profile.scenarioLimitSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ctx.profile.scenarioLimitSeconds} s (CHAOS_SCENARIO_LIMIT_SECONDS)`)), limitMs);
  });
  try {
    await Promise.race([scenario.run(ctx, report), overdue]);
  } catch (err) {
    error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  } finally {
    clearTimeout(timer);
  }
  const ok = error === undefined && report.invariants.length > 0 && report.invariants.every((i) => i.ok);
  return { name: scenario.name, ok, invariants: report.invariants, figures: report.figures, seconds: Math.round((Date.now() - started) / 1000), ...(error ? { error } : {}) };
}

/**
 * The invariants of a scenario folded over its scopes: counts summed ("orders not terminal 0 of
 * 800"), a violation named with the scope it happened in.
 */
export function folded(invariants: Invariant[]): string[] {
  const byName = new Map<string, Invariant[]>();
  for (const i of invariants) byName.set(i.name, [...(byName.get(i.name) ?? []), i]);
  return [...byName].map(([name, all]) => {
    const failed = all.filter((i) => !i.ok);
    const where = failed.filter((i) => i.scope).map((i) => `${i.scope} ${i.value}`);
    if (all.every((i) => i.count !== undefined)) {
      const count = all.reduce((a, i) => a + i.count!, 0);
      const of = all.every((i) => i.of !== undefined) ? ` of ${all.reduce((a, i) => a + i.of!, 0)}` : '';
      return `${failed.length ? '✗ ' : ''}${name} ${count}${of}${where.length ? ` (${where.join('; ')})` : ''}`;
    }
    if (all.length === 1) return `${failed.length ? '✗ ' : ''}${name} ${all[0]!.value}`;
    return `${failed.length ? '✗ ' : ''}${name} ${failed.length ? where.join('; ') : `ok ×${all.length}`}`;
  });
}

/** One line per scenario: name, verdict, invariants, figures. */
export function summaryLine(r: ScenarioResult): string {
  const invariants = folded(r.invariants).join(', ');
  const figures = Object.entries(r.figures).map(([k, v]) => `${k} ${v}`).join(', ');
  const error = r.error ? ` — did not finish: ${r.error.split('\n')[0]}` : '';
  return `${r.ok ? 'PASS' : 'FAIL'} ${r.name} (${r.seconds} s): ${invariants}${figures ? ` | ${figures}` : ''}${error}`;
}
