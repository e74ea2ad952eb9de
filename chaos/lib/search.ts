/** Whether the search index agrees with the catalog: each product's document at the catalog's version. */
import { api } from '../../test/support/gateway';

const ES = `http://${process.env.ES_HOST ?? '127.0.0.1'}:${process.env.ES_PORT ?? '9250'}`;

/** Products whose search document is missing or behind the catalog's current version. */
export async function behindCatalog(ids: string[]): Promise<string[]> {
  const catalog = new Map<string, number>();
  for (const id of ids) {
    const res = await api('GET', `/products/${id}`);
    if (res.status !== 200) throw new Error(`catalog GET ${id}: ${res.status}`);
    catalog.set(id, res.body.version as number);
  }
  // The document's own `version` (the catalog's, written by the indexer), not Elasticsearch's
  // `_version`: that one is the indexer's compare-and-set counter, which an index rebuild restarts.
  const res = await fetch(`${ES}/products/_mget?_source_includes=version`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ids }), signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`Elasticsearch _mget: ${res.status}`);
  const docs = ((await res.json()) as { docs: Array<{ _id: string; found: boolean; _source?: { version?: number } }> }).docs;
  const indexed = new Map(docs.filter((d) => d.found).map((d) => [d._id, d._source?.version ?? 0]));
  return ids.filter((id) => (indexed.get(id) ?? -1) < catalog.get(id)!);
}
