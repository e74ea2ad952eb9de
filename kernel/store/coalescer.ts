/**
 * Joins calls that arrive while earlier ones are in flight into one round trip. A store whose
 * cost is mostly per request (Elasticsearch here: ≈ 5 ms of CPU to read and write one
 * document alone, 0.5 ms per document in batches of 20) then pays per batch under load, and
 * an idle caller waits for nothing but the turn of the event loop it arrived in.
 *
 * `run` gets the items of one batch in arrival order and answers one result per item, in the
 * same order; a result may be an Error for that item alone. When `run` throws, every item of the
 * batch gets the error. Items are independent: two of the same key may share a batch, so `run`
 * must give each item the answer it would have had alone (a compare-and-set per item does).
 */
/** An item waiting for its answer. */
interface Waiting<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

export class Coalescer<I, O> {
  private readonly queue: Array<Waiting<I, O>> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<Array<O | Error>>,
    private readonly options: { maxBatch: number; maxInFlight: number },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        // Callers woken by the same I/O (deliveries read from one socket) join one batch.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private async settle(batch: Array<Waiting<I, O>>): Promise<void> {
    try {
      const results = await this.run(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => {
        const result = results.length === batch.length ? results[i]! : new Error(`batch answered ${results.length} results for ${batch.length} items`);
        if (result instanceof Error) entry.reject(result);
        else entry.resolve(result);
      });
    } catch (err) {
      batch.forEach((entry) => entry.reject(err));
    } finally {
      this.inFlight -= 1;
      this.pump();
    }
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.settle(batch);
    }
  }
}

/**
 * One run per key at a time; callers that arrive while a key's run is under way share the one
 * run that starts after it ends, which gets every waiting caller's input. A run therefore always
 * begins after each of its callers arrived: a read in it sees at least what each caller was told
 * about, and ten callers for one hot key cost two runs, not ten. A run that throws fails all of
 * its callers.
 */
export class CoalescedRuns<K, I, O> {
  private readonly running = new Map<K, Promise<unknown>>();
  private readonly waiting = new Map<K, { inputs: I[]; result: Promise<O> }>();

  constructor(private readonly task: (key: K, inputs: I[]) => Promise<O>) {}

  run(key: K, input: I): Promise<O> {
    const queued = this.waiting.get(key);
    if (queued) {
      queued.inputs.push(input);
      return queued.result;
    }
    const before = this.running.get(key);
    const entry = { inputs: [input] } as { inputs: I[]; result: Promise<O> };
    entry.result = (async () => {
      if (before) {
        await before;
        // From here on, newcomers wait for this run instead of joining it.
        if (this.waiting.get(key) === entry) this.waiting.delete(key);
      }
      return this.task(key, entry.inputs);
    })();
    if (before) this.waiting.set(key, entry);
    const tracked: Promise<void> = entry.result.then(
      () => undefined,
      () => undefined,
    );
    this.running.set(key, tracked);
    void tracked.then(() => {
      if (this.running.get(key) === tracked) this.running.delete(key);
    });
    return entry.result;
  }
}
