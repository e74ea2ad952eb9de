import { currentTrace, traceContextOf, traceHeaders, withTrace } from '../../kernel/trace';
import { inOrderTrace } from '../../workflows/checkout/runtime';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context', () => {
  test('a valid traceparent is kept with its tracestate; a malformed one is dropped with it', () => {
    expect(traceContextOf(PARENT, 'congo=t61rcWkgMzE')).toEqual({ traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE' });
    for (const bad of ['', 'garbage', `${PARENT}-x`, '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', PARENT.toUpperCase()]) {
      expect({ bad, trace: traceContextOf(bad, 'a=b') }).toEqual({ bad, trace: undefined });
    }
    expect(traceContextOf(PARENT, 'x'.repeat(513))).toEqual({ traceparent: PARENT });
  });

  test('work started inside a context carries it across awaits; outside, none', async () => {
    expect(traceHeaders()).toEqual({});
    await withTrace({ traceparent: PARENT }, async () => {
      await new Promise((r) => setTimeout(r, 5));
      expect(traceHeaders()).toEqual({ traceparent: PARENT });
      await withTrace(undefined, async () => expect(currentTrace()).toBeUndefined());
    });
    expect(currentTrace()).toBeUndefined();
  });

  test("a saga's activities run in the context stored with their order (one lookup per order, runs after the first included)", async () => {
    const lookups: string[] = [];
    const orders = {
      traceOf: async (id: string) => {
        lookups.push(id);
        return id === 'o-1' ? { traceparent: PARENT } : undefined;
      },
    };
    const seen: Array<string | undefined> = [];
    const activity = async () => {
      seen.push(currentTrace()?.traceparent);
      return 'done';
    };
    const [name, wrapped] = (inOrderTrace(orders as never, [['reserve', activity]]) as Array<[string, (ctx: unknown, input: never) => Promise<unknown>]>)[0]!;
    const ctx = (id: string) => ({ getWorkflowInstanceId: () => id });
    expect(name).toBe('reserve');
    expect(await wrapped(ctx('o-1'), undefined as never)).toBe('done');
    await wrapped(ctx('o-1~2'), undefined as never);
    await wrapped(ctx('o-2'), undefined as never);
    expect(seen).toEqual([PARENT, PARENT, undefined]);
    expect(lookups).toEqual(['o-1', 'o-2']);
  });
});
