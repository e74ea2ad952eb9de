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
 */
import type { WorkflowRuntime } from '@dapr/dapr';
import type { Logger } from '../logger';

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
}

export class WorkflowWatchdog {
  private current: WorkflowRuntime | undefined;
  private timer: NodeJS.Timeout | undefined;
  private downSince: number | undefined;
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

  constructor(
    private readonly build: () => WorkflowRuntime,
    private readonly logger: Logger,
    options: WatchdogOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 500;
    this.graceMs = options.graceMs ?? 3000;
    this.minBackoffMs = options.minBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
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
      this.attempts = 0;
      this.nextAttemptAt = 0;
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

  private async replace(): Promise<void> {
    const old = this.current!;
    this.retire(old);
    this.attempts++;
    this.restarts++;
    this.nextAttemptAt = Date.now() + Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** (this.attempts - 1));
    this.logger.info({ attempt: this.attempts }, 'starting a new workflow worker');
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
