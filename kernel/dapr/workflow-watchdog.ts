/**
 * Keeps a Dapr workflow worker connected to its sidecar.
 *
 * The JS SDK's worker (3.18, durabletask `TaskHubGrpcWorker.internalRunWorker`) does retry its
 * GetWorkItems stream, but only after the first iteration of its loop has finished: the first
 * stream error after a successful connect (a sidecar killed, or shut down: `CANCELLED: shutting
 * down`) is re-thrown as a "first attempt" failure, the loop ends ("Worker failed"), the worker
 * marks itself not running and never connects again, while the app keeps serving. The same
 * happens at start-up if the sidecar does not answer `Hello` yet. Nothing in the SDK reports it.
 *
 * The watchdog polls the worker's state (the SDK's private fields, read defensively: an SDK
 * without them is reported `unknown` and left alone) and, when the worker has failed, or has had
 * no open stream for `graceMs` (the SDK's own retry loop backs off up to 45 s), retires it and
 * starts a new runtime (a new gRPC channel, everything registered again by `build`), with
 * back-off between attempts. `check` is a readiness check that fails while it is not connected.
 *
 * The worker's own view is not enough: a stream can look open to the app while the sidecar does
 * not serve it (a half-open connection; or daprd 1.18.3's workflow actor types left unregistered
 * after rapid restarts of the app, see tools/dapr/patches/dapr). With `sidecarServes` (the
 * sidecar's metadata: a connected worker and the workflow actor types hosted), a connected worker
 * that the sidecar has not served for `unservedGraceMs` fails readiness and is replaced too.
 */
import type { WorkflowRuntime } from '@dapr/dapr';
import type { Logger } from '../logger';
import type { Sidecar } from './sidecar';

export type WorkerState = 'connected' | 'connecting' | 'failed' | 'unknown';

interface WorkerInternals {
  _isRunning?: unknown;
  _stopWorker?: unknown;
  _responseStream?: { destroyed?: boolean; cancel?: () => void } | null;
  _activeWorkItems?: unknown;
  _stub?: { close?: () => void } | null;
}

function internals(runtime: WorkflowRuntime): WorkerInternals | undefined {
  const worker = (runtime as unknown as { worker?: WorkerInternals }).worker;
  if (!worker || typeof worker._isRunning !== 'boolean' || typeof worker._stopWorker !== 'boolean' || !('_responseStream' in worker)) return undefined;
  return worker;
}

/** connected: running with a GetWorkItems stream open; connecting: running, no stream (Hello or the SDK's back-off); failed: its loop ended. */
export function workerState(runtime: WorkflowRuntime): WorkerState {
  const worker = internals(runtime);
  if (!worker) return 'unknown';
  if (!worker._isRunning || worker._stopWorker) return 'failed';
  const stream = worker._responseStream;
  return stream && !stream.destroyed ? 'connected' : 'connecting';
}

export interface WatchdogOptions {
  /** How often the worker's state is looked at. */
  pollMs?: number;
  /** How long a running worker may be without a stream (its own retry) before it is replaced. */
  graceMs?: number;
  /** Back-off between replacements while the sidecar does not take them: doubling from min to max. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** The sidecar's side: whether it counts a connected worker and hosts the workflow actor types. */
  sidecarServes?: () => Promise<boolean>;
  /** How often the sidecar is asked (its metadata API). */
  sidecarCheckMs?: number;
  /** How long the sidecar may not serve a connected worker (answer after answer) before it is replaced. */
  unservedGraceMs?: number;
}

interface SidecarMetadata {
  workflows?: { connectedWorkers?: number };
  actorRuntime?: { activeActors?: { type?: string }[] };
}

/**
 * From the sidecar's metadata API: a work-item stream is connected and the workflow actor types
 * (`dapr.internal.<namespace>.<app>.workflow` and `.activity`) are in its actor table. An
 * unreachable sidecar answers undefined: the stream's own state speaks for it then.
 */
export function sidecarServesWorkflows(sidecar: Sidecar): () => Promise<boolean> {
  return async () => {
    const res = await sidecar.send('/v1.0/metadata', { timeoutMs: 2000 });
    if (res.status !== 200) throw new Error(`sidecar metadata answered ${res.status}`);
    const meta = JSON.parse(await res.text()) as SidecarMetadata;
    const types = (meta.actorRuntime?.activeActors ?? []).map((a) => a.type ?? '');
    const hosts = (kind: string) => types.some((t) => t.startsWith('dapr.internal.') && t.endsWith(`.${kind}`));
    return (meta.workflows?.connectedWorkers ?? 0) >= 1 && hosts('workflow') && hosts('activity');
  };
}

export class WorkflowWatchdog {
  private current: WorkflowRuntime | undefined;
  private timer: NodeJS.Timeout | undefined;
  private downSince: number | undefined;
  private unservedSince: number | undefined;
  private sidecarAskedAt = 0;
  private sidecarServed: boolean | undefined;
  private nextAttemptAt = 0;
  private attempts = 0;
  private restarts = 0;
  private stopping = false;
  private busy = false;
  private readonly retiring = new Set<Promise<void>>();
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly sidecarServes: (() => Promise<boolean>) | undefined;
  private readonly sidecarCheckMs: number;
  private readonly unservedGraceMs: number;

  constructor(
    private readonly build: () => WorkflowRuntime,
    private readonly logger: Logger,
    options: WatchdogOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 500;
    this.graceMs = options.graceMs ?? 3000;
    this.minBackoffMs = options.minBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.sidecarServes = options.sidecarServes;
    this.sidecarCheckMs = options.sidecarCheckMs ?? 5000;
    this.unservedGraceMs = options.unservedGraceMs ?? 10_000;
  }

  /** Starts the first runtime and the watchdog; the worker connects in the background. */
  async start(): Promise<void> {
    this.current = this.build();
    if (workerState(this.current) === 'unknown') this.logger.warn('the workflow SDK has changed: its worker cannot be watched, reconnects are left to it');
    await this.current.start();
    this.timer = setInterval(() => void this.tick(), this.pollMs);
    this.timer.unref();
  }

  state(): WorkerState {
    return this.current ? workerState(this.current) : 'failed';
  }

  /** Readiness: fails while the worker has no open work-item stream to the sidecar. */
  readonly check = async (): Promise<void> => {
    const state = this.state();
    if (this.unserved(Date.now())) {
      throw new Error(`the sidecar has not served the connected workflow worker for ${Math.round((Date.now() - this.unservedSince!) / 1000)} s (no worker counted, or no workflow actor types)`);
    }
    if (state === 'connected' || state === 'unknown') return;
    const down = this.downSince ? ` for ${Math.round((Date.now() - this.downSince) / 1000)} s` : '';
    throw new Error(`workflow worker not connected to the sidecar (${state}${down}, ${this.attempts} attempts to reconnect)`);
  };

  private async tick(): Promise<void> {
    if (this.stopping || this.busy || !this.current) return;
    const state = workerState(this.current);
    const now = Date.now();
    if (state === 'connected' || state === 'unknown') {
      if (this.downSince !== undefined) this.logger.info({ downMs: now - this.downSince, restarts: this.restarts }, 'workflow worker connected to the sidecar again');
      this.downSince = undefined;
      if (state === 'unknown' || (await this.servedBySidecar(now))) {
        // Back-off starts over only once the sidecar has said it serves this worker.
        if (!this.sidecarServes || this.sidecarServed) {
          this.attempts = 0;
          this.nextAttemptAt = 0;
        }
        return;
      }
      if (!this.unserved(now) || now < this.nextAttemptAt) return;
      this.logger.warn({ unservedMs: now - this.unservedSince! }, 'the sidecar does not serve the connected workflow worker: reconnecting it');
      this.busy = true;
      try {
        await this.replace();
      } finally {
        this.busy = false;
      }
      return;
    }
    if (this.downSince === undefined) {
      this.downSince = now;
      this.logger.warn({ state }, 'workflow worker lost its sidecar connection');
    }
    // A running worker without a stream is retrying on its own: give it a moment first.
    if (state === 'connecting' && now - this.downSince < this.graceMs) return;
    if (now < this.nextAttemptAt) return;
    this.busy = true;
    try {
      await this.replace();
    } finally {
      this.busy = false;
    }
  }

  /** Asks the sidecar (at most every sidecarCheckMs); true unless it answered that it does not serve the worker. */
  private async servedBySidecar(now: number): Promise<boolean> {
    if (!this.sidecarServes) return true;
    if (now - this.sidecarAskedAt >= this.sidecarCheckMs) {
      this.sidecarAskedAt = now;
      this.busy = true;
      try {
        this.sidecarServed = await this.sidecarServes();
        if (this.sidecarServed) this.unservedSince = undefined;
        else this.unservedSince ??= now;
      } catch {
        // sidecar unreachable: the stream's own state decides
      } finally {
        this.busy = false;
      }
    }
    return this.unservedSince === undefined;
  }

  private unserved(now: number): boolean {
    return this.unservedSince !== undefined && now - this.unservedSince >= this.unservedGraceMs;
  }

  private async replace(): Promise<void> {
    const old = this.current!;
    this.retire(old);
    this.attempts++;
    this.restarts++;
    this.nextAttemptAt = Date.now() + Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** (this.attempts - 1));
    this.logger.info({ attempt: this.attempts }, 'starting a new workflow worker');
    // The new worker is judged afresh: asked at once after its grace, not on the old one's record.
    this.unservedSince = undefined;
    this.sidecarServed = undefined;
    this.sidecarAskedAt = Date.now() + this.graceMs - this.sidecarCheckMs;
    try {
      this.current = this.build();
      await this.current.start();
    } catch (err) {
      this.logger.warn({ err }, 'a new workflow worker did not start');
    }
  }

  /** Stops a worker's loop at once; its work items in flight finish (bounded), then its channel is closed. */
  private retire(runtime: WorkflowRuntime): void {
    const worker = internals(runtime);
    if (!worker) return;
    worker._stopWorker = true;
    worker._responseStream?.cancel?.();
    const done = (async () => {
      const deadline = Date.now() + 30_000;
      while (typeof worker._activeWorkItems === 'number' && worker._activeWorkItems > 0 && Date.now() < deadline) await sleep(100);
      worker._responseStream?.cancel?.();
      try {
        worker._stub?.close?.();
      } catch {
        // already closed
      }
      worker._isRunning = false;
    })();
    this.retiring.add(done);
    void done.finally(() => this.retiring.delete(done));
  }

  /** Shutdown: no more replacements; the current worker drains as the SDK's stop does. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    const runtime = this.current;
    const worker = runtime && internals(runtime);
    if (runtime && (!worker || worker._isRunning)) await runtime.stop().catch((err: unknown) => this.logger.warn({ err }, 'the workflow worker did not stop cleanly'));
    else if (runtime) this.retire(runtime);
    await Promise.all([...this.retiring]);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
