import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { CatalogExport, ExportPage } from './reindex';

/** The catalog's internal export route (Dapr service invocation), the source of a rebuild. */
export const CATALOG_EXPORT_PATH = '/internal/products/export';

export function catalogExport(sidecar: Sidecar, catalogAppId: string): CatalogExport {
  return (after, limit) => {
    const query = new URLSearchParams({ limit: String(limit), ...(after === null ? {} : { after }) });
    return sidecar.invokeJson<ExportPage>(catalogAppId, `${CATALOG_EXPORT_PATH}?${query}`);
  };
}
