/**
 * Where a scenario's CPU went: every process's user+system time (from /proc) before and after,
 * grouped by what it is (an app, its sidecar, PostgreSQL, Elasticsearch, the load generator),
 * as a share of the machine's cores. Linux only; elsewhere the profile is empty.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const TICKS_PER_SECOND = 100;

function kindOf(pid: number, cmdline: string): string | undefined {
  if (pid === process.pid) return 'load generator';
  const app = /dist\/apps\/([a-z]+)\/src\/main\.js/.exec(cmdline);
  if (app) return `${app[1]} app`;
  const sidecar = /daprd .*--app-id ([a-z-]+)/.exec(cmdline);
  if (sidecar) return `${sidecar[1]} sidecar`;
  if (/bare-koa\.js/.test(cmdline)) return 'bare Koa';
  if (/^postgres/.test(cmdline)) return 'postgresql';
  if (/elasticsearch|es-node|java .*org\.elasticsearch/.test(cmdline)) return 'elasticsearch';
  if (/redis-server/.test(cmdline)) return 'redis';
  if (/beam\.smp|rabbitmq/.test(cmdline)) return 'rabbitmq';
  if (/placement|scheduler/.test(cmdline)) return 'dapr control plane';
  if (/stripe-mock/.test(cmdline)) return 'stripe-mock';
  return undefined;
}

function snapshot(): Map<number, { kind: string; ticks: number }> {
  const result = new Map<number, { kind: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const kind = kindOf(Number(entry), cmdline);
      if (!kind) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      result.set(Number(entry), { kind, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return result;
}

/** Starts measuring; the returned function gives each kind's share of all cores, largest first, e.g. "gateway sidecar 31 %". */
export function cpuProfile(): () => Array<{ kind: string; cores_percent: number }> {
  if (process.platform !== 'linux') return () => [];
  const before = snapshot();
  const started = process.hrtime.bigint();
  return () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const byKind = new Map<string, number>();
    for (const [pid, now] of snapshot()) {
      const ticks = now.ticks - (before.get(pid)?.ticks ?? 0);
      if (ticks > 0) byKind.set(now.kind, (byKind.get(now.kind) ?? 0) + ticks);
    }
    const cores = os.cpus().length;
    return [...byKind.entries()]
      .map(([kind, ticks]) => ({ kind, cores_percent: Math.round((ticks / TICKS_PER_SECOND / seconds / cores) * 1000) / 10 }))
      .filter((k) => k.cores_percent >= 1)
      .sort((a, b) => b.cores_percent - a.cores_percent);
  };
}
