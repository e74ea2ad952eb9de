/**
 * How other services ask the user service for something (beside the JWKS every service
 * fetches): through Dapr service invocation of its internal routes, allowed per caller.
 */
import type { Sidecar } from '../../../kernel/dapr/sidecar';
import { USER_APP_ID } from '../../../kernel/service';

/** The id of the account with this e-mail, or undefined when there is none. Other failures throw. */
export async function userIdByEmail(sidecar: Sidecar, email: string): Promise<string | undefined> {
  return (await sidecar.invokeJsonIfFound<{ id: string }>(USER_APP_ID, `/internal/users/by-email?${new URLSearchParams({ email })}`))?.id;
}
