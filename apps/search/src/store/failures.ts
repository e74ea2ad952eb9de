import { errors } from '@elastic/elasticsearch';

/**
 * Elasticsearch failures sorted by what the caller should do. Transient: the cluster is
 * unreachable, slow, overloaded (429) or failing (5xx) — try again later, never give up on the
 * event. Permanent: Elasticsearch understood the request and refuses it (400 mapping errors) —
 * retrying cannot help.
 */
export type FailureKind = 'transient' | 'permanent';

/** 404 counts as transient: for us it means the alias or index is missing for a moment (start-up, swap). */
export function kindOfStatus(status: number): FailureKind {
  return status === 429 || status >= 500 || status === 404 || status === 408 ? 'transient' : 'permanent';
}

export function kindOfError(err: unknown): FailureKind {
  if (err instanceof errors.ResponseError) return kindOfStatus(err.statusCode ?? 500);
  // ConnectionError, TimeoutError, NoLivingConnectionsError, and anything unknown: try again.
  return 'transient';
}

export function statusOf(err: unknown): number | undefined {
  return err instanceof errors.ResponseError ? err.statusCode : undefined;
}

export function describeFailure(err: unknown): string {
  if (err instanceof errors.ResponseError) {
    const cause = (err.body as { error?: { type?: string; reason?: string } } | undefined)?.error;
    return `${err.statusCode ?? '?'} ${cause?.type ?? ''}: ${cause?.reason ?? err.message}`.slice(0, 300);
  }
  return err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : String(err);
}
