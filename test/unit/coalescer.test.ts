import { CoalescedRuns, Coalescer } from '../../kernel/store/coalescer';

/** A store whose requests are held until the test lets them go, recording each batch. */
function heldStore() {
  const batches: number[][] = [];
  const release: Array<() => void> = [];
  const run = (items: number[]) => {
    batches.push(items);
    return new Promise<Array<number | Error>>((resolve) => release.push(() => resolve(items.map((n) => (n < 0 ? new Error(`bad ${n}`) : n * 10)))));
  };
  return { batches, release, run };
}

const waitFor = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
};

describe('Coalescer', () => {
  it('sends an idle caller at once, and joins the callers that arrive while requests are in flight into one batch', async () => {
    const store = heldStore();
    const coalescer = new Coalescer(store.run, { maxBatch: 10, maxInFlight: 1 });
    const first = coalescer.submit(1);
    await waitFor(() => store.batches.length === 1);
    const later = [2, 3, 4].map((n) => coalescer.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.batches).toEqual([[1]]); // one in flight at most: the others wait for it
    store.release.shift()!();
    await expect(first).resolves.toBe(10);
    await waitFor(() => store.batches.length === 2);
    expect(store.batches[1]).toEqual([2, 3, 4]);
    store.release.shift()!();
    await expect(Promise.all(later)).resolves.toEqual([20, 30, 40]);
  });

  it('gives each item its own answer: one item failing does not fail the others; a failed request fails its whole batch', async () => {
    let fail = false;
    const coalescer = new Coalescer<number, number>(async (items) => {
      if (fail) throw new Error('store down');
      return items.map((n) => (n < 0 ? new Error(`bad ${n}`) : n * 10));
    }, { maxBatch: 10, maxInFlight: 1 });
    const answers = await Promise.allSettled([coalescer.submit(1), coalescer.submit(-1), coalescer.submit(2)]);
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : (a.reason as Error).message))).toEqual([10, 'bad -1', 20]);
    fail = true;
    const down = await Promise.allSettled([coalescer.submit(3), coalescer.submit(4)]);
    expect(down.map((a) => a.status === 'rejected' && (a.reason as Error).message)).toEqual(['store down', 'store down']);
  });

  it('never puts more than maxBatch items in one request, nor more than maxInFlight requests out at once', async () => {
    const store = heldStore();
    const coalescer = new Coalescer(store.run, { maxBatch: 3, maxInFlight: 2 });
    const all = Array.from({ length: 10 }, (_, n) => coalescer.submit(n));
    await waitFor(() => store.batches.length === 2);
    expect(store.batches).toEqual([[0, 1, 2], [3, 4, 5]]);
    while (store.release.length) {
      store.release.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => store.batches.length === 4);
    store.release.splice(0).forEach((go) => go());
    await expect(Promise.all(all)).resolves.toEqual(Array.from({ length: 10 }, (_, n) => n * 10));
    expect(store.batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
  });

  it('a batch answering the wrong number of results fails its items rather than mixing answers up', async () => {
    const coalescer = new Coalescer<number, number>(async () => [1], { maxBatch: 10, maxInFlight: 1 });
    const answers = await Promise.allSettled([coalescer.submit(1), coalescer.submit(2)]);
    expect(answers.every((a) => a.status === 'rejected' && /2 items/.test((a.reason as Error).message))).toBe(true);
  });
});

describe('CoalescedRuns', () => {
  it('runs a key once at a time; callers during a run share the one run after it, which starts after all of them arrived and gets all their inputs', async () => {
    const started: Array<{ key: string; inputs: number[] }> = [];
    const release: Array<() => void> = [];
    const runs = new CoalescedRuns<string, number, string>((key, inputs) => {
      started.push({ key, inputs: [...inputs] });
      return new Promise((resolve) => release.push(() => resolve(`${key}:${inputs.join(',')}`)));
    });
    const first = runs.run('sku', 1);
    const others = [2, 3, 4].map((n) => runs.run('sku', n));
    const elsewhere = runs.run('other', 9); // another key is not held up
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([{ key: 'sku', inputs: [1] }, { key: 'other', inputs: [9] }]);
    release.shift()!();
    await expect(first).resolves.toBe('sku:1');
    await waitFor(() => started.length === 3);
    expect(started[2]).toEqual({ key: 'sku', inputs: [2, 3, 4] });
    const afterStart = runs.run('sku', 5); // the shared run has begun: this one waits for the next
    release.splice(0).forEach((go) => go());
    await expect(Promise.all(others)).resolves.toEqual(['sku:2,3,4', 'sku:2,3,4', 'sku:2,3,4']);
    await expect(elsewhere).resolves.toBe('other:9');
    await waitFor(() => started.length === 4);
    release.shift()!();
    await expect(afterStart).resolves.toBe('sku:5');
  });

  it('a run that fails fails its callers only; the next run goes ahead', async () => {
    let fail = true;
    const runs = new CoalescedRuns<string, number, number>(async (_key, inputs) => {
      if (fail) throw new Error('inventory unreachable');
      return Math.max(...inputs);
    });
    await expect(runs.run('sku', 1)).rejects.toThrow('unreachable');
    fail = false;
    await expect(runs.run('sku', 2)).resolves.toBe(2);
  });
});
