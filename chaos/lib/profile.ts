/**
 * How hard a chaos run pushes. `full` is `npm run chaos` (the figures); `short` is the
 * version inside `npm test`: every scenario, fewer orders and kills, a short outage.
 * CHAOS_PROFILE picks one; single figures can be overridden by environment variables.
 */
export interface Profile {
  name: 'full' | 'short';
  /** Concurrent checkouts per killed target (order app, order sidecar, inventory and payment sidecars). */
  checkoutsPerTarget: number;
  /** Kills per target, at random points while its checkouts run. */
  killsPerTarget: number;
  /** Elasticsearch stays stopped this long (at least the delivery retry budget in `full`). */
  searchOutageSeconds: number;
  /** Catalog updates made while Elasticsearch is down. */
  catalogUpdates: number;
  /** Stock adjustments made while PostgreSQL is slowed by a held lock. */
  slowAdjustments: number;
  /** Requests of each kind made around each infrastructure restart. */
  restartTraffic: number;
  /** A scenario still running after this long is reported as not finished (the run goes on). */
  scenarioLimitSeconds: number;
}

const FULL: Profile = {
  name: 'full',
  checkoutsPerTarget: 200,
  killsPerTarget: 5,
  searchOutageSeconds: 900,
  catalogUpdates: 1000,
  slowAdjustments: 60,
  restartTraffic: 200,
  scenarioLimitSeconds: 2700,
};

const SHORT: Profile = {
  name: 'short',
  checkoutsPerTarget: 24,
  killsPerTarget: 1,
  searchOutageSeconds: 20,
  catalogUpdates: 60,
  slowAdjustments: 12,
  restartTraffic: 30,
  scenarioLimitSeconds: 600,
};

function override(base: Profile): Profile {
  const num = (name: string, fallback: number) => {
    const raw = process.env[name];
    const n = raw === undefined || raw === '' ? NaN : Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : fallback;
  };
  return {
    ...base,
    checkoutsPerTarget: num('CHAOS_CHECKOUTS', base.checkoutsPerTarget),
    killsPerTarget: num('CHAOS_KILLS', base.killsPerTarget),
    searchOutageSeconds: num('CHAOS_SEARCH_OUTAGE_SECONDS', base.searchOutageSeconds),
    catalogUpdates: num('CHAOS_CATALOG_UPDATES', base.catalogUpdates),
    slowAdjustments: num('CHAOS_SLOW_ADJUSTMENTS', base.slowAdjustments),
    restartTraffic: num('CHAOS_RESTART_TRAFFIC', base.restartTraffic),
    scenarioLimitSeconds: num('CHAOS_SCENARIO_LIMIT_SECONDS', base.scenarioLimitSeconds),
  };
}

export function profileNamed(name: string | undefined): Profile {
  return override(name === 'short' ? SHORT : FULL);
}
