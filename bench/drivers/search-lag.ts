/**
 * Catalog → search lag under a steady update rate: product renames through the gateway at
 * `rate` per second for `seconds`; each update's lag is from sending the PATCH to the moment a
 * search (not a realtime GET) returns the document at the new version.
 */
import { call } from '../lib/http';
import { summarize, type LoadResult } from '../lib/load';

export async function searchLag(gateway: string, elasticsearch: string, adminToken: string, products: Array<{ id: string }>, rate: number, seconds: number): Promise<LoadResult & { updates_per_second: number }> {
  const pending = new Map<string, { version: number; sentAt: number }>();
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let sending = true;

  const versions = new Map<string, number>();
  const watcher = (async () => {
    while (sending || pending.size > 0) {
      await new Promise((r) => setTimeout(r, 20));
      if (pending.size === 0) continue;
      const ids = [...pending.keys()];
      // The product's own version in the document (Elasticsearch's _version counts writes, stock
      // reports included, and starts again at 1 in a rebuilt index).
      const res = await call('POST', `${elasticsearch}/products/_search`, { body: { query: { ids: { values: ids } }, size: ids.length, _source: ['version'] } });
      const now = performance.now();
      for (const hit of res.body?.hits?.hits ?? []) {
        const wanted = pending.get(hit._id);
        if (wanted && Number(hit._source?.version) >= wanted.version) {
          latencies.push(now - wanted.sentAt);
          pending.delete(hit._id);
        }
      }
      if (!sending && performance.now() - Math.min(...[...pending.values()].map((p) => p.sentAt)) > 30_000) break;
    }
  })();

  const started = performance.now();
  const total = rate * seconds;
  const sends: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const product = products[i % products.length]!;
    sends.push(
      (async () => {
        const sentAt = performance.now();
        let version = versions.get(product.id);
        if (version === undefined) {
          const current = await call('GET', `${gateway}/products/${product.id}`);
          version = current.body.version as number;
        }
        const res = await call('PATCH', `${gateway}/products/${product.id}`, { token: adminToken, body: { description: `lag probe ${i} at ${Date.now()}` }, headers: { 'if-match': `"v${version}"` } });
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status !== 200) {
          errors += 1;
          versions.delete(product.id);
          return;
        }
        versions.set(product.id, res.body.version);
        pending.set(product.id, { version: res.body.version, sentAt });
      })(),
    );
  }
  await Promise.all(sends);
  const sentFor = (performance.now() - started) / 1000;
  sending = false;
  await watcher;
  errors += pending.size; // never became searchable within 30 s
  return { ...summarize(latencies, sentFor, errors, statuses), updates_per_second: Math.round(total / sentFor) };
}
