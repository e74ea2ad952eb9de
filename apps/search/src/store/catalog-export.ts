import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import { HttpProblem } from '../../../../kernel/problem';
import type { ProductSnapshot } from '../../../catalog/src/events/contract';
import type { CatalogExport, ExportPage } from './reindex';

/** The catalog's internal export route (Dapr service invocation), the source of a rebuild. */
export const CATALOG_EXPORT_PATH = '/internal/products/export';

export function catalogExport(sidecar: Sidecar, catalogAppId: string): CatalogExport {
  return (after, limit) => {
    const query = new URLSearchParams({ limit: String(limit), ...(after === null ? {} : { after }) });
    return sidecar.invokeJson<ExportPage>(catalogAppId, `${CATALOG_EXPORT_PATH}?${query}`);
  };
}

/** One product as the catalog records it (its internal snapshot route); undefined on 404. */
export function catalogRecord(sidecar: Sidecar, catalogAppId: string): (id: string) => Promise<ProductSnapshot | undefined> {
  return async (id) => {
    try {
      return await sidecar.invokeJson<ProductSnapshot>(catalogAppId, `/internal/products/snapshots/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof HttpProblem && err.status === 404) return undefined;
      throw err;
    }
  };
}
