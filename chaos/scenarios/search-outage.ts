/**
 * Elasticsearch outage (issue #12): the search index goes away for longer than the delivery
 * retry budget while the catalog keeps changing. The catalog must go on acknowledging changes,
 * search must answer 503 + Retry-After meanwhile (never a 500 or a hang), and once
 * Elasticsearch is back every product's search document must equal the catalog again: by
 * redelivery, or by replaying what was parked. Nothing lost.
 *
 *   Setup: max(20, catalogUpdates / 10) products, each indexed.
 *   Phase A (full profile only): the delivery retry budget. With Elasticsearch up and healthy
 *     (so the search app stays ready and its sidecar keeps delivering) the read alias is made
 *     read-only (`is_write_index: false`): a write through it fails with "no write index",
 *     which the writer treats as transient (store/writer.ts), so the handler answers RETRY and
 *     Dapr redelivers until its retries are spent and dead-letters the message. The time from
 *     one catalog update to its event parked in GET /admin/dead-letters/search is the budget.
 *     (`index.blocks.write` is no good for this: Elasticsearch answers a block with 403, which
 *     the writer counts as a permanent refusal and parks at once, without a single retry.)
 *     The alias is restored, the parked event replayed, the product must converge.
 *   Phase B: Elasticsearch stopped; catalogUpdates changes through the gateway; down until
 *     searchOutageSeconds (in full at least budget + 60 s) after the stop, sampling /readyz
 *     and GET /search meanwhile; started again.
 *   Convergence: every document equals the catalog within 180 s; if not, the parked search
 *     events are replayed and it must hold within another 180 s.
 */
import { randomUUID } from 'node:crypto';
import type { Scenario } from '../lib/scenario';
import { infra, sleep, waitUntilReady } from '../lib/stack';
import { freshAdmin, tag, type Admin } from '../lib/shop';
import { api, GATEWAY } from '../../test/support/gateway';
import { parkedEvents, replayParked, type ParkedEntry } from '../../test/support/dead-letters';

const UPDATE_TOPIC = 'catalog.product.updated';
const PARALLEL = 10;
const CONVERGE_WITHIN_MS = 180_000;
/** Longest wait for Phase A's message to be dead-lettered (far above the expected ~3–4 min). */
const BUDGET_WAIT_MS = 600_000;
const SAMPLE_EVERY_MS = 3000;
const HANG_MS = 15_000;

// ---------------------------------------------------------------------------------------------
// Elasticsearch, read directly (an operator's view; as bench/drivers/search-lag.ts does).

export interface Engine {
  url: string;
  alias: string;
}

export function elasticsearch(): Engine {
  return { url: `http://${process.env.ES_HOST ?? '127.0.0.1'}:${process.env.ES_PORT ?? '9250'}`, alias: process.env.SEARCH_INDEX_ALIAS ?? 'products' };
}

async function esCall(es: Engine, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${es.url}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // keep the text
  }
  return { status: res.status, body: parsed };
}

export interface SearchDocument {
  id: string;
  name: string | null;
  price_minor: number | null;
  version: number;
  visible: boolean;
  deleted: boolean;
}

/** The documents of these products in the read alias (a search by ids: works whatever is behind the alias). */
export async function searchDocuments(es: Engine, ids: string[]): Promise<Map<string, SearchDocument>> {
  const out = new Map<string, SearchDocument>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const res = await esCall(es, 'POST', `/${es.alias}/_search`, { query: { ids: { values: chunk } }, size: chunk.length, _source: ['id', 'name', 'price_minor', 'version', 'visible', 'deleted'] });
    if (res.status !== 200) throw new Error(`Elasticsearch search by ids: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    for (const hit of res.body.hits.hits) out.set(hit._id, { id: hit._id, ...hit._source });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------

interface Tracked {
  id: string;
  sku: string;
  version: number;
}

interface CatalogState {
  name: string;
  price_minor: number;
  version: number;
}

/** Products that differ between the catalog (read through the gateway) and their search documents. */
async function differences(es: Engine, catalog: Map<string, CatalogState>): Promise<string[]> {
  const docs = await searchDocuments(es, [...catalog.keys()]);
  const differ: string[] = [];
  for (const [id, want] of catalog) {
    const doc = docs.get(id);
    if (!doc || doc.name !== want.name || doc.price_minor !== want.price_minor) differ.push(id);
  }
  return differ;
}

async function catalogStates(admin: Admin, products: Tracked[]): Promise<Map<string, CatalogState>> {
  const out = new Map<string, CatalogState>();
  for (let i = 0; i < products.length; i += PARALLEL) {
    await Promise.all(
      products.slice(i, i + PARALLEL).map(async (p) => {
        const res = await api('GET', `/products/${p.id}`, { token: await admin.token() });
        if (res.status !== 200) throw new Error(`GET /products/${p.id}: ${res.status}`);
        out.set(p.id, { name: res.body.name, price_minor: res.body.base_price_minor, version: res.body.version });
      }),
    );
  }
  return out;
}

/** Polls until no product differs; returns the ms it took, or undefined with the ids still differing. */
async function converge(es: Engine, catalog: Map<string, CatalogState>, withinMs: number): Promise<{ ms?: number; differ: string[] }> {
  const t0 = Date.now();
  let differ: string[] = [...catalog.keys()];
  while (Date.now() - t0 < withinMs) {
    try {
      differ = await differences(es, catalog);
      if (differ.length === 0) return { ms: Date.now() - t0, differ };
    } catch {
      // Elasticsearch still starting: poll again
    }
    await sleep(1000);
  }
  return { differ };
}

/**
 * Catalog events the search app parked since `since` because their delivery retries ran out
 * (what an outage of the index can cause, for this scenario's products or anybody else's: the
 * stack is shared). Poison messages other tests park on purpose are not among them.
 */
async function parkedSince(admin: Admin, since: number): Promise<ParkedEntry[]> {
  const out: ParkedEntry[] = [];
  for (const topic of ['catalog.product.created', UPDATE_TOPIC, 'catalog.product.deleted']) {
    let before = '';
    for (;;) {
      const page = await parkedEvents(await admin.token(), 'search', `?status=parked&topic=${topic}&limit=500${before ? `&before=${encodeURIComponent(before)}` : ''}`);
      out.push(...page.filter((p) => /retries exhausted/i.test(p.reason) && Date.parse(p.last_seen) >= since - 1000));
      if (page.length < 500 || Date.parse(page[page.length - 1]!.first_seen) < since - 1000) break;
      before = page[page.length - 1]!.first_seen;
    }
  }
  return out;
}

/** Replays parked events (500 a call); returns how many were applied, and what stayed parked. */
async function replayAll(admin: Admin, entries: ParkedEntry[]): Promise<{ replayed: number; stillParked: Array<{ id: string; reason: string }> }> {
  let replayed = 0;
  const stillParked: Array<{ id: string; reason: string }> = [];
  const ids = entries.map((p) => p.id);
  for (let i = 0; i < ids.length; i += 500) {
    const answer = await replayParked(await admin.token(), 'search', ids.slice(i, i + 500));
    if (answer.status !== 200) throw new Error(`replay: ${answer.status}`);
    replayed += answer.replayed.length;
    stillParked.push(...answer.still_parked);
  }
  return { replayed, stillParked };
}

async function retryCount(): Promise<number> {
  try {
    const text = await (await fetch('http://127.0.0.1:8002/metrics', { signal: AbortSignal.timeout(5000) })).text();
    const line = text.split('\n').find((l) => l.startsWith('search_product_events_total{') && l.includes(`topic="${UPDATE_TOPIC}"`) && l.includes('outcome="retry"'));
    return line ? Number(line.trim().split(/\s+/).pop()) : 0;
  } catch {
    return NaN;
  }
}

const priceOf = (i: number) => `${10 + (i % 90)}.${String((i * 7) % 100).padStart(2, '0')}`;

export const searchOutage: Scenario = {
  name: 'search-outage',
  async run(ctx, report) {
    const { profile } = ctx;
    const es = elasticsearch();
    const admin = await freshAdmin('chaos-search');
    const run = tag();
    let esStopped = false;
    let aliasBlocked: string | undefined;

    const restoreAlias = async () => {
      if (!aliasBlocked) return;
      // Atomically back to a plain alias (as the search app made it: no is_write_index).
      const res = await esCall(es, 'POST', '/_aliases', { actions: [{ remove: { index: aliasBlocked, alias: es.alias } }, { add: { index: aliasBlocked, alias: es.alias } }] });
      if (res.status !== 200) throw new Error(`restoring alias ${es.alias}: ${res.status} ${JSON.stringify(res.body)}`);
      aliasBlocked = undefined;
    };

    try {
      // ----- Setup: products, each indexed.
      const count = Math.max(20, Math.ceil(profile.catalogUpdates / 10));
      const products: Tracked[] = [];
      for (let i = 0; i < count; i += PARALLEL) {
        products.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(PARALLEL, count - i) }, async (_, j) => {
              const sku = `SO${run}-${i + j}`;
              const res = await api('POST', '/products', { token: await admin.token(), body: { sku, name: `Outage ${run} ${i + j}`, base_price: '5.00', currency: 'USD' }, headers: { 'idempotency-key': randomUUID() } });
              if (res.status !== 201) throw new Error(`create product: ${res.status} ${JSON.stringify(res.body)}`);
              return { id: res.body.id as string, sku, version: res.body.version as number };
            }),
          )),
        );
      }
      const ids = new Set(products.map((p) => p.id));
      const created = await catalogStates(admin, products);
      // Up to the delivery retry budget (~230 s): at a cold start, beside the checkout kills, a
      // first delivery can time out against Elasticsearch and come back only after Dapr's back-off.
      const indexed = await converge(es, created, 300_000);
      if (indexed.ms === undefined) throw new Error(`${indexed.differ.length} of ${count} new products not indexed within 300 s`);
      ctx.log(`search-outage: ${count} products indexed in ${(indexed.ms / 1000).toFixed(1)} s`);
      report.figure('products', count);

      // ----- Phase A: the delivery retry budget (full profile only).
      let budgetS: number | undefined;
      if (profile.name === 'full') {
        const probe = products[0]!;
        const aliases = await esCall(es, 'GET', `/_alias/${es.alias}`);
        const behind = Object.keys(aliases.body ?? {});
        if (aliases.status !== 200 || behind.length !== 1) throw new Error(`alias ${es.alias} points to ${JSON.stringify(behind)}`);
        const blocked = await esCall(es, 'POST', '/_aliases', { actions: [{ add: { index: behind[0], alias: es.alias, is_write_index: false } }] });
        if (blocked.status !== 200) throw new Error(`making ${es.alias} read-only: ${blocked.status} ${JSON.stringify(blocked.body)}`);
        aliasBlocked = behind[0];
        const blockedAt = Date.now();
        const retriesBefore = await retryCount();
        const name = `Budget probe ${run}`;
        const patched = await api('PATCH', `/products/${probe.id}`, { token: await admin.token(), body: { name }, headers: { 'if-match': `"v${probe.version}"`, 'idempotency-key': randomUUID() } });
        if (patched.status !== 200) throw new Error(`budget probe update: ${patched.status} ${JSON.stringify(patched.body)}`);
        const t0 = Date.now();
        probe.version = patched.body.version;
        ctx.log(`search-outage: alias ${es.alias} → ${behind[0]} read-only; probe v${probe.version} sent, waiting for it to be parked`);
        let entry: ParkedEntry | undefined;
        while (!entry && Date.now() - t0 < BUDGET_WAIT_MS) {
          await sleep(1000);
          entry = (await parkedEvents(await admin.token(), 'search', `?topic=${UPDATE_TOPIC}&limit=50`).catch(() => [] as ParkedEntry[])).find(
            (p) => p.payload?.product?.id === probe.id && p.payload?.product?.version === probe.version,
          );
        }
        const attempts = (await retryCount()) - retriesBefore;
        await restoreAlias();
        if (!entry) {
          report.check('a message answered RETRY is dead-lettered once the retries are spent', false, `not parked within ${BUDGET_WAIT_MS / 1000} s (${attempts} RETRY answers)`);
          report.figure('delivery_retry_budget_s', `> ${BUDGET_WAIT_MS / 1000}`);
        } else {
          budgetS = Math.round((Date.parse(entry.first_seen) - t0) / 100) / 10;
          report.figure('delivery_retry_budget_s', budgetS);
          report.figure('delivery_attempts', Number.isFinite(attempts) ? attempts : 'unknown');
          ctx.log(`search-outage: retry budget ${budgetS} s, ${attempts} RETRY answers; parked as "${entry.reason}"`);
          report.check('a message answered RETRY is dead-lettered once the retries are spent (not refused at once)', /retries exhausted/i.test(entry.reason), entry.reason);
          const replay = await replayParked(await admin.token(), 'search', [entry.id]);
          // Anything else the read-only alias made run out of retries (other products on the shared stack).
          await sleep(5000);
          const others = (await parkedSince(admin, blockedAt)).filter((p) => p.id !== entry!.id);
          if (others.length) {
            const cleaned = await replayAll(admin, others);
            ctx.log(`search-outage: replayed ${cleaned.replayed} of ${others.length} other events parked during Phase A`);
            report.figure('phase_a_other_parked', others.length);
          }
          const probeState = new Map([[probe.id, { name, price_minor: created.get(probe.id)!.price_minor, version: probe.version }]]);
          const after = await converge(es, probeState, 30_000);
          report.check('its replay is applied', replay.status === 200 && replay.replayed.includes(entry.id) && after.ms !== undefined, `${replay.status} ${JSON.stringify({ replayed: replay.replayed.length, still_parked: replay.still_parked })}, ${after.ms === undefined ? 'document not converged' : 'document converged'}`);
        }
      } else {
        report.figure('delivery_retry_budget_s', `not measured (${profile.name})`);
      }

      // ----- Phase B: the outage.
      let outageS = profile.searchOutageSeconds;
      if (profile.name === 'full' && budgetS !== undefined && budgetS > outageS) outageS = Math.ceil(budgetS + 60);
      ctx.log(`search-outage: stopping Elasticsearch for ${outageS} s; ${profile.catalogUpdates} catalog updates`);
      await infra('elasticsearch', 'stop');
      esStopped = true;
      const stoppedAt = Date.now();
      const outageEnds = stoppedAt + outageS * 1000;

      const failedUpdates: string[] = [];
      const lastAcked = new Map<string, number>(); // product → version of its last acknowledged update
      let updatesDone = false;
      let updatesFinishedAt = 0;
      const updates = (async () => {
        const byWorker: number[][] = Array.from({ length: PARALLEL }, () => []);
        // Round-robin over the products; each product belongs to one worker, so one product is
        // never changed twice at once and its If-Match is always the last version acknowledged.
        for (let i = 0; i < profile.catalogUpdates; i++) byWorker[(i % products.length) % PARALLEL]!.push(i);
        await Promise.all(
          byWorker.map(async (list) => {
            for (const i of list) {
              const p = products[i % products.length]!;
              try {
                const send = async (key: string) => api('PATCH', `/products/${p.id}`, {
                  token: await admin.token(),
                  body: { name: `Outage ${run} ${i % products.length} u${i}`, base_price: priceOf(i) },
                  headers: { 'if-match': `"v${p.version}"`, 'idempotency-key': key },
                });
                // The rate limit (429 + Retry-After) is an answer to wait out, as any client does, with the same key.
                const key = randomUUID();
                let res = await send(key);
                for (let waits = 0; res.status === 429 && waits < 60; waits++) {
                  await sleep(Math.max(200, Number(res.headers.get('retry-after')) * 1000 || 1000));
                  res = await send(key);
                }
                if (res.status >= 200 && res.status < 300) {
                  p.version = res.body.version;
                  lastAcked.set(p.id, p.version);
                } else {
                  failedUpdates.push(`${res.status}`);
                  const current = await api('GET', `/products/${p.id}`, { token: await admin.token() });
                  if (current.status === 200) p.version = current.body.version;
                }
              } catch (err) {
                failedUpdates.push(`error ${(err as Error).message}`);
              }
            }
          }),
        );
        updatesDone = true;
        updatesFinishedAt = Date.now();
      })();

      // Sampling while Elasticsearch is down: the app unready, search 503 + Retry-After.
      let samples = 0;
      let slowestSearchMs = 0;
      let readyWrong = 0;
      let searchWrong = 0;
      const wrongSeen: Record<string, number> = {};
      const sampleOnce = async () => {
        samples += 1;
        try {
          const ready = await fetch('http://127.0.0.1:8002/readyz', { signal: AbortSignal.timeout(HANG_MS) });
          await ready.text();
          if (ready.status !== 503) {
            readyWrong += 1;
            wrongSeen[`readyz ${ready.status}`] = (wrongSeen[`readyz ${ready.status}`] ?? 0) + 1;
          }
        } catch (err) {
          readyWrong += 1;
          wrongSeen[`readyz ${(err as Error).name}`] = (wrongSeen[`readyz ${(err as Error).name}`] ?? 0) + 1;
        }
        const t = Date.now();
        try {
          const res = await fetch(`${GATEWAY}/search?q=x`, { headers: { 'cache-control': 'no-cache' }, signal: AbortSignal.timeout(HANG_MS) });
          await res.text();
          slowestSearchMs = Math.max(slowestSearchMs, Date.now() - t);
          if (res.status !== 503 || !res.headers.get('retry-after')) {
            searchWrong += 1;
            const key = `search ${res.status}${res.headers.get('retry-after') ? '' : ' no Retry-After'}`;
            wrongSeen[key] = (wrongSeen[key] ?? 0) + 1;
          }
        } catch (err) {
          searchWrong += 1;
          const key = `search ${(err as Error).name === 'TimeoutError' ? `hang > ${HANG_MS / 1000} s` : (err as Error).message} after ${Date.now() - t} ms`;
          wrongSeen[key] = (wrongSeen[key] ?? 0) + 1;
        }
      };
      // One sample every SAMPLE_EVERY_MS, each on its own (a slow answer does not thin the samples out).
      const sampling: Array<Promise<void>> = [];
      while (Date.now() < outageEnds - 1000) {
        sampling.push(sampleOnce());
        await sleep(Math.min(SAMPLE_EVERY_MS, Math.max(0, outageEnds - 1000 - Date.now())));
      }
      await Promise.all(sampling);
      if (!updatesDone) ctx.log('search-outage: the outage is over before the catalog updates are; waiting for them');
      await updates;
      const updatesS = Math.round((updatesFinishedAt - stoppedAt) / 100) / 10;
      const remaining = outageEnds - Date.now();
      if (remaining > 0) await sleep(remaining);

      await infra('elasticsearch', 'start');
      esStopped = false;
      const startedAt = Date.now();
      report.figure('outage_s', Math.round((startedAt - stoppedAt) / 1000));
      report.figure('updates', profile.catalogUpdates);
      report.figure('updates_s', updatesS);
      report.figure('outage_samples', samples);
      report.figure('slowest_search_during_outage_ms', slowestSearchMs);
      await waitUntilReady('search', 180_000);
      ctx.log(`search-outage: Elasticsearch back after ${Math.round((startedAt - stoppedAt) / 1000)} s (updates took ${updatesS} s), search ready ${((Date.now() - startedAt) / 1000).toFixed(1)} s later`);

      report.zero('catalog updates acknowledged (non-2xx)', failedUpdates.length, profile.catalogUpdates);
      if (failedUpdates.length) ctx.log(`search-outage: failed updates: ${JSON.stringify(failedUpdates.slice(0, 10))}`);
      report.zero('during the outage only 503 + Retry-After (other answers)', searchWrong, samples);
      report.zero('search app unready during the outage (ready answers)', readyWrong, samples);
      if (Object.keys(wrongSeen).length) ctx.log(`search-outage: unexpected during the outage: ${JSON.stringify(wrongSeen)}`);

      // ----- Convergence.
      const catalog = await catalogStates(admin, products);
      const first = await converge(es, catalog, CONVERGE_WITHIN_MS);
      let differ = first.differ;
      let convergedAfter = first.ms === undefined ? undefined : Date.now() - startedAt;
      const parkedAll = await parkedSince(admin, stoppedAt);
      const parked = parkedAll.filter((p) => ids.has(p.payload?.product?.id));
      report.figure('parked', parked.length);
      if (parkedAll.length > parked.length) report.figure('parked_other_products', parkedAll.length - parked.length);
      let replayedCount = 0;
      if (parkedAll.length > 0) {
        // An operator replays what was parked (stale ones are harmless: the catalog's current
        // version is indexed), other products' too: the stack is shared.
        const replay = await replayAll(admin, parkedAll);
        replayedCount = replay.replayed;
        report.zero('parked events that a replay could not apply', replay.stillParked.length, parkedAll.length);
        if (replay.stillParked.length) ctx.log(`search-outage: still parked after replay: ${JSON.stringify(replay.stillParked.slice(0, 5))}`);
        if (differ.length > 0) {
          const second = await converge(es, catalog, CONVERGE_WITHIN_MS);
          differ = second.differ;
          if (second.ms !== undefined) convergedAfter = Date.now() - startedAt;
        }
      }
      report.figure('replayed', replayedCount);
      report.figure('converged_after_s', convergedAfter === undefined ? 'never' : Math.round(convergedAfter / 100) / 10);
      report.figure('converged_without_replay', first.ms !== undefined ? 'yes' : 'no');

      const docs = await searchDocuments(es, [...ids]);
      const lost = [...lastAcked].filter(([id, version]) => (docs.get(id)?.version ?? 0) < version);
      report.zero('search differences', differ.length, products.length);
      report.zero('lost events (acknowledged updates never in search)', lost.length, lastAcked.size);
      if (differ.length) ctx.log(`search-outage: differing: ${differ.slice(0, 5).map((id) => `${id} catalog ${JSON.stringify(catalog.get(id))} search ${JSON.stringify(docs.get(id))}`).join('; ')}`);
    } finally {
      if (esStopped) await infra('elasticsearch', 'start');
      await restoreAlias().catch((err) => ctx.log(`search-outage: could not restore alias: ${(err as Error).message}`));
    }
  },
};
