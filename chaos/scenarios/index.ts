/**
 * The scenarios and when they run:
 *   BESIDE  from the start, alongside the others: the search outage (Elasticsearch stays down
 *           for longer than the delivery retry budget; no scenario in SCENARIOS needs search
 *           answering before it ends: infra-restarts checks its search documents last);
 *   SCENARIOS one after another meanwhile;
 *   AFTER   once all the above are done (poison on the catalog topics needs the search app
 *           consuming again).
 */
import type { Scenario } from '../lib/scenario';
import { checkoutKills } from './checkout-kills';
import { infraRestarts } from './infra-restarts';
import { poisonMessages } from './poison';
import { searchOutage } from './search-outage';
import { slowPostgres } from './slow-postgres';

export const BESIDE: Scenario[] = [searchOutage];
export const SCENARIOS: Scenario[] = [checkoutKills, slowPostgres, infraRestarts];
export const AFTER: Scenario[] = [poisonMessages];
