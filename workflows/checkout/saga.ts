/**
 * A saga over a Dapr WorkflowContext: each step is declared with the compensation that undoes
 * it (as Medusa's createStep(invoke, compensate)), so what the saga holds is the list of
 * compensations its steps registered, not flags kept beside the code. Deterministic: it only
 * yields what withRetry yields, in the order the workflow runs its steps.
 */
import type { WorkflowContext } from '@dapr/dapr';
import { COMPENSATION, withRetry, type RetryPolicy } from './retry';

/** A step's output without its refusal: what an `after` compensation reads. */
type Success<O> = Exclude<O, { ok: false }>;

interface CompensationBase {
  /** What the order's `compensated` list says once it ran (`<label>:gave_up` when out of attempts). */
  label: string;
  activity: string;
  /**
   * The labels chosen from what the compensation answered (a payment cancelled or refunded; v4's
   * unwind lists each part it undid); `label` when absent.
   */
  outcome?: (result: any) => string | string[];
}

export type Compensation<I, O> =
  /** Registered before the call: a refusal part-way, or a lost answer, may still hold something. */
  | (CompensationBase & {
      registered: 'before';
      args: (input: I) => unknown;
      /** Once the step answered (a success or a refusal): what is left to undo, replacing `args`. */
      narrow?: (input: I, output: O) => unknown;
    })
  /** Registered after a success: it needs the step's output (a payment id). */
  | (CompensationBase & { registered: 'after'; args: (input: I, output: Success<O>) => unknown });

export interface Step<I, O> {
  activity: string;
  retry: RetryPolicy;
  compensation?: Compensation<I, O>;
}

/** Declares a step; the type parameters are the activity's input and output. */
export function step<I, O>(declaration: Step<I, O>): Step<I, O> {
  return declaration;
}

const refused = (output: unknown) => typeof output === 'object' && output !== null && (output as { ok?: unknown }).ok === false;

interface Registered {
  label: string;
  activity: string;
  args: unknown;
  outcome?: (result: any) => string | string[];
}

export class Saga {
  private readonly registered: Registered[] = [];

  constructor(private readonly ctx: WorkflowContext) {}

  /** Runs a step's activity with its retry policy (throws StepUnavailable when out of attempts) and registers its compensation. */
  async *run<I, O>(s: Step<I, O>, input: I): AsyncGenerator<unknown, O, any> {
    const c = s.compensation;
    const before = c?.registered === 'before' ? this.register(c, c.args(input)) : undefined;
    const output = (yield* withRetry<O>(this.ctx, s.activity, input, s.retry)) as O;
    if (before && c?.registered === 'before' && c.narrow) before.args = c.narrow(input, output);
    if (c?.registered === 'after' && !refused(output)) this.register(c, c.args(input, output as Success<O>));
    return output;
  }

  /**
   * Runs the registered compensations newest first, each with the compensation budget (hours),
   * and forgets them. Returns their labels; one out of attempts is `<label>:gave_up` (recorded on
   * the order; stock reservations still expire by their TTL) and the next ones still run.
   */
  async *compensate(): AsyncGenerator<unknown, string[], any> {
    const undone: string[] = [];
    for (const c of this.registered.splice(0).reverse()) {
      try {
        const result: unknown = yield* withRetry(this.ctx, c.activity, c.args, COMPENSATION);
        undone.push(...(c.outcome ? [c.outcome(result)].flat() : [c.label]));
      } catch {
        undone.push(`${c.label}:gave_up`);
      }
    }
    return undone;
  }

  private register(c: CompensationBase, args: unknown): Registered {
    const registered = { label: c.label, activity: c.activity, args, outcome: c.outcome };
    this.registered.push(registered);
    return registered;
  }
}
