import { HttpProblem } from '../problem';

/** The ETag of a resource version; If-Match must name the current one. */
export function etagOf(version: number): string {
  return `"v${version}"`;
}

/**
 * Optimistic concurrency for writes: If-Match is required (428 without it, so a client cannot
 * overwrite blindly) and must equal the current ETag (412 otherwise, with the current ETag).
 */
/** The entity tags of an If-Match / If-None-Match header, weak prefixes dropped. */
export function etagsOf(header: string): string[] {
  return header.split(',').map((t) => t.trim().replace(/^W\//, ''));
}

export function requireMatch(ifMatch: string, currentVersion: number, what = 'resource'): void {
  if (!ifMatch) throw new HttpProblem(428, 'Send If-Match with the ETag you read, so that changes are not lost.');
  const current = etagOf(currentVersion);
  const offered = etagsOf(ifMatch);
  if (!offered.includes(current) && !offered.includes('*')) {
    throw new HttpProblem(412, `The ${what} has changed since you read it.`, { headers: { etag: current }, extensions: { current_version: currentVersion } });
  }
}
