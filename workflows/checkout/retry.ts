/**
 * Explicit, durable retries for workflow activities (the JS SDK has no retry policy). An
 * activity throws only for transient failures (a service down, a 5xx, a Retry-After); the wait
 * between attempts is a durable timer, so a retry survives a crash of the order app.
 */
import type { WorkflowContext } from '@dapr/dapr';

export interface RetryPolicy {
  attempts: number;
  firstDelaySeconds: number;
  maxDelaySeconds: number;
}

/** Forward steps: about a minute of trying before the saga gives up and compensates. */
export const FORWARD: RetryPolicy = { attempts: 6, firstDelaySeconds: 1, maxDelaySeconds: 20 };
/** Compensation must happen: keeps trying for about 2 hours (stock reservations also expire on their own). */
export const COMPENSATION: RetryPolicy = { attempts: 30, firstDelaySeconds: 2, maxDelaySeconds: 300 };

export class StepUnavailable extends Error {
  constructor(
    readonly step: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`${step} failed ${attempts} times: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export function delayBefore(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxDelaySeconds, policy.firstDelaySeconds * 2 ** (attempt - 1));
}

/** Calls an activity until it returns, waiting (durably) between attempts; throws StepUnavailable when out of attempts. */
export async function* withRetry<T>(ctx: WorkflowContext, activity: string, input: unknown, policy: RetryPolicy): AsyncGenerator<unknown, T, any> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (yield ctx.callActivity(activity, input as never)) as T;
    } catch (err) {
      if (attempt >= policy.attempts) throw new StepUnavailable(activity, attempt, err);
      yield ctx.createTimer(delayBefore(attempt, policy));
    }
  }
}
