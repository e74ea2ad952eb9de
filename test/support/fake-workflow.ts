/**
 * Runs a Dapr workflow generator without Dapr: a fake WorkflowContext hands out tasks, and a
 * small driver answers each yield from a script (activities by name, with their attempt), fires
 * timers at once and picks the winner of a whenAny. Records every activity call and the
 * sequence of yields (kind, name), which is what a Dapr replay checks against its history.
 */
import type { WorkflowContext } from '@dapr/dapr';

export type FakeStep =
  | { kind: 'activity'; name: string; input: any }
  | { kind: 'timer'; seconds: number }
  | { kind: 'event'; name: string }
  | { kind: 'any'; tasks: FakeTask[] };

export class FakeTask {
  result: unknown;
  constructor(readonly step: FakeStep) {}
  getResult(): unknown {
    return this.result;
  }
}

/** An activity's scripted answer: a value (or a promise of one), or a throw (transient). Called with its input and the attempt (1-based). */
export type Script = Partial<Record<string, (input: any, attempt: number) => unknown>>;
/** What wins a whenAny: an event (name + payload) or the timer. */
export type Wait = { event: string; payload: unknown } | 'timeout';

export interface Driven<R> {
  ending: R;
  /** Activities by name (one per attempt), `timer:<s>`, `wait:<a>|<b>|timer`. */
  log: string[];
  calls: FakeStep[];
  /** The sequence of yields: `activity:<name>`, `timer`, `whenAny:<a>|<b>|timer`. */
  trace: string[];
}

type Workflow<I, R> = (ctx: WorkflowContext, input: I) => AsyncGenerator<unknown, R, any>;

const label = (task: FakeTask) => (task.step.kind === 'event' ? task.step.name : task.step.kind);

/**
 * Runs the workflow to its end under `instanceId`, answering from `script`; `wait` decides its
 * whenAny: one outcome for every wait, or one per wait in turn (the last repeats).
 */
export async function driveWorkflow<I, R>(workflow: Workflow<I, R>, input: I, options: { instanceId: string; script: Script; wait?: Wait | Wait[] }): Promise<Driven<R>> {
  let waits = 0;
  const ctx = {
    getWorkflowInstanceId: () => options.instanceId,
    isReplaying: () => false,
    callActivity: (name: string, activityInput: unknown) => new FakeTask({ kind: 'activity', name, input: activityInput }),
    createTimer: (seconds: number) => new FakeTask({ kind: 'timer', seconds }),
    waitForExternalEvent: (name: string) => new FakeTask({ kind: 'event', name }),
    whenAny: (tasks: FakeTask[]) => new FakeTask({ kind: 'any', tasks }),
  };
  const attempts = new Map<string, number>();
  const log: string[] = [];
  const calls: FakeStep[] = [];
  const trace: string[] = [];
  const gen = workflow(ctx as unknown as WorkflowContext, input);
  let next = await gen.next();
  for (let guard = 0; !next.done; guard++) {
    if (guard > 1000) throw new Error(`the workflow did not end: ${log.slice(-10).join(', ')}`);
    const step = (next.value as FakeTask).step;
    calls.push(step);
    if (step.kind === 'activity') {
      const attempt = (attempts.get(step.name) ?? 0) + 1;
      attempts.set(step.name, attempt);
      log.push(step.name);
      trace.push(`activity:${step.name}`);
      const answer = options.script[step.name];
      if (!answer) throw new Error(`no script for ${step.name}`);
      let value: unknown;
      try {
        value = await answer(step.input, attempt); // a script may answer as the real (async) activity does
      } catch (err) {
        next = await gen.throw(err);
        continue;
      }
      next = await gen.next(value);
    } else if (step.kind === 'timer') {
      log.push(`timer:${step.seconds}`);
      trace.push('timer');
      next = await gen.next(undefined);
    } else if (step.kind === 'event') {
      // Creating the task is not a yield in the SDK; only whenAny is.
      throw new Error('an event task was yielded on its own');
    } else {
      const wait = Array.isArray(options.wait) ? options.wait[Math.min(waits++, options.wait.length - 1)] : options.wait;
      if (!wait) throw new Error('the workflow waited, but this script has no outcome for the wait');
      const names = step.tasks.map(label).join('|');
      log.push(`wait:${names}`);
      trace.push(`whenAny:${names}`);
      const winner = wait === 'timeout' ? step.tasks.find((t) => t.step.kind === 'timer') : step.tasks.find((t) => t.step.kind === 'event' && t.step.name === wait.event);
      if (!winner) throw new Error(`nothing in the wait (${names}) matches ${JSON.stringify(wait)}`);
      if (wait !== 'timeout') winner.result = wait.payload;
      next = await gen.next(winner);
    }
  }
  return { ending: next.value, log, calls, trace };
}

export const count = (log: string[], name: string) => log.filter((l) => l === name).length;
