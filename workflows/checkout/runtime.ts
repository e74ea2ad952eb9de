/**
 * Hosts the checkout workflow and its activities in the order app, over the sidecar's gRPC
 * port (Dapr keeps the history in the order app's actor state store, PostgreSQL).
 */
import { DaprWorkflowClient, WorkflowRuntime } from '@dapr/dapr';
import { routeSdkLogsTo } from '../../kernel/dapr/sdk-logging';
import { checkoutActivities, type ActivityDeps } from './activities';
import { CHECKOUT_WORKFLOW } from './contract';
import { checkout } from './workflow';

export interface CheckoutEngine {
  client: DaprWorkflowClient;
  stop(): Promise<void>;
}

export async function startCheckoutEngine(grpcPort: number, deps: ActivityDeps): Promise<CheckoutEngine> {
  routeSdkLogsTo(deps.logger);
  const options = { daprHost: '127.0.0.1', daprPort: String(grpcPort), logger: { level: 1 } };
  const runtime = new WorkflowRuntime(options).registerWorkflowWithName(CHECKOUT_WORKFLOW, checkout);
  for (const [name, activity] of Object.entries(checkoutActivities(deps))) runtime.registerActivityWithName(name, activity as never);
  await runtime.start();
  const client = new DaprWorkflowClient(options);
  return {
    client,
    stop: async () => {
      await runtime.stop();
      await client.stop();
    },
  };
}
