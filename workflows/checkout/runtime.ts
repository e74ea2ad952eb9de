/**
 * Hosts the checkout workflow, every registered version of it, and its activities in the order
 * app, over the sidecar's gRPC port (Dapr keeps the history in the order app's actor state
 * store, PostgreSQL).
 */
import { DaprWorkflowClient, WorkflowRuntime, WorkflowRuntimeStatus, type WorkflowActivityContext } from '@dapr/dapr';
import { routeSdkLogsTo } from '../../kernel/dapr/sdk-logging';
import { envInt } from '../../kernel/config';
import { WorkflowWatchdog, sidecarServesWorkflows } from '../../kernel/dapr/workflow-watchdog';
import { checkoutActivities, type ActivityDeps } from './activities';
import { CHECKOUT_VERSIONS, type CheckoutWorkflowName } from './contract';
import { checkout } from './v1';
import { checkoutV2 } from './v2';
import { checkoutV3 } from './v3';
import { checkoutV4 } from './v4';
import type { OrderPort } from './ports';
import { withTrace, type TraceContext } from '../../kernel/trace';

/** Every registered version (contract.ts, versioning rule): an instance replays on the one that started it. */
const WORKFLOWS: Record<CheckoutWorkflowName, typeof checkoutV2> = { checkout, 'checkout.v2': checkoutV2, 'checkout.v3': checkoutV3, 'checkout.v4': checkoutV4 };

export interface CheckoutEngine {
  client: DaprWorkflowClient;
  /** Readiness check (`workflows`): fails while the workflow worker has no stream to the sidecar, or the sidecar does not serve it. */
  connected(): Promise<void>;
  stop(): Promise<void>;
}

type InstanceState = { runtimeStatus: WorkflowRuntimeStatus; createdAt?: Date };

/**
 * An instance that exists only as a name: PENDING without a creation time. Found by the full
 * chaos run: the order app killed as it scheduled a saga left one (daprd: "No workflow state
 * found for actor …, terminating execution"); it answered PENDING for ever and never ran, so
 * the sweep took it for a live saga and the order stayed pending.
 */
export function isHollow(state: InstanceState | undefined): boolean {
  if (!state || state.runtimeStatus !== WorkflowRuntimeStatus.PENDING) return false;
  const created = state.createdAt ? new Date(state.createdAt).getTime() : NaN;
  return !Number.isFinite(created) || created < Date.UTC(2000, 0, 1);
}

/**
 * Whether a saga instance is still going (running, pending or suspended): the recovery sweep
 * leaves it alone. A hollow instance is not going; nor is one still PENDING when the order has
 * not moved for the stalled time (`pendingIsDead`): a live saga runs its first step in seconds.
 */
export function stillRunning(state: InstanceState | undefined, pendingIsDead = false): boolean {
  if (!state || isHollow(state)) return false;
  if (pendingIsDead && state.runtimeStatus === WorkflowRuntimeStatus.PENDING) return false;
  return [WorkflowRuntimeStatus.RUNNING, WorkflowRuntimeStatus.PENDING, WorkflowRuntimeStatus.SUSPENDED].includes(state.runtimeStatus);
}

/**
 * The SDK's workflow worker (3.18) runs at most 10 work items at once, queues 100 more and
 * drops any beyond that (left to Dapr's much later redelivery), with no option to change it.
 * Our activities mostly wait on other services, so a burst of checkouts would queue behind ten
 * slots and then lose work items. Set on the SDK's private fields, checked so that a future SDK
 * without them is left alone. (Measured: not what limits checkout throughput here; see README.)
 */
function widenWorker(runtime: WorkflowRuntime, concurrent: number): void {
  const worker = (runtime as unknown as { worker?: { _maxConcurrentWorkItems?: unknown; _maxQueueSize?: unknown } }).worker;
  if (!worker || typeof worker._maxConcurrentWorkItems !== 'number' || typeof worker._maxQueueSize !== 'number') return;
  worker._maxConcurrentWorkItems = concurrent;
  worker._maxQueueSize = Math.max(worker._maxQueueSize, concurrent * 100);
}

/** The order an instance id runs for: `<order id>` or, for a run started again, `<order id>~<run>`. */
const orderOfInstance = (instanceId: string) => instanceId.split('~')[0]!;

type Activity = (ctx: WorkflowActivityContext, input: never) => Promise<unknown>;

/**
 * Each activity runs in the trace of the request that placed its order (kernel/trace.ts), so
 * the reservation, the coupon, the payment and the rest join the shopper's one trace instead
 * of starting traces of their own. The context is read once per order and kept (a bounded map:
 * an order's activities run within minutes of each other).
 */
export function inOrderTrace(orders: OrderPort, named: Array<[string, Activity]>): Array<[string, Activity]> {
  if (!orders.traceOf) return named;
  const traceOf = orders.traceOf.bind(orders);
  const known = new Map<string, TraceContext | null>();
  const lookup = async (orderId: string): Promise<TraceContext | undefined> => {
    if (!known.has(orderId)) {
      const trace = await traceOf(orderId).catch(() => undefined);
      if (known.size >= 10_000) known.delete(known.keys().next().value!);
      known.set(orderId, trace ?? null);
    }
    return known.get(orderId) ?? undefined;
  };
  return named.map(([name, activity]) => [name, async (ctx, input) => withTrace(await lookup(orderOfInstance(ctx.getWorkflowInstanceId())), () => activity(ctx, input))]);
}

export async function startCheckoutEngine(grpcPort: number, deps: ActivityDeps): Promise<CheckoutEngine> {
  routeSdkLogsTo(deps.logger);
  const options = { daprHost: '127.0.0.1', daprPort: String(grpcPort), logger: { level: 1 } };
  const activities = inOrderTrace(deps.orders, Object.entries(checkoutActivities(deps)) as Array<[string, Activity]>);
  const concurrent = envInt('WORKFLOW_MAX_CONCURRENT_WORK_ITEMS', 100);
  // The SDK's worker never reconnects after its first stream error (a sidecar restart): the
  // watchdog replaces it with a new runtime built here, on a new channel (kernel/dapr/workflow-watchdog.ts).
  const build = () => {
    const runtime = new WorkflowRuntime({ ...options });
    for (const name of CHECKOUT_VERSIONS) runtime.registerWorkflowWithName(name, WORKFLOWS[name]);
    widenWorker(runtime, concurrent);
    for (const [name, activity] of activities) runtime.registerActivityWithName(name, activity as never);
    return runtime;
  };
  const watchdog = new WorkflowWatchdog(build, deps.logger.child({ component: 'workflow-watchdog' }), {
    graceMs: envInt('WORKFLOW_RECONNECT_GRACE_MS', 3000),
    maxBackoffMs: envInt('WORKFLOW_RECONNECT_MAX_BACKOFF_MS', 5000),
    sidecarServes: sidecarServesWorkflows(deps.sidecar),
    sidecarCheckMs: envInt('WORKFLOW_SIDECAR_CHECK_MS', 5000),
  });
  await watchdog.start();
  const client = new DaprWorkflowClient({ ...options });
  return {
    client,
    connected: watchdog.check,
    stop: async () => {
      await watchdog.stop();
      await client.stop();
    },
  };
}
