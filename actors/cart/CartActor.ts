import { AbstractActor } from '@dapr/dapr';

export interface CartLine {
  product_id: string;
  quantity: number;
}

export interface CartState {
  items: CartLine[];
  /** Optimistic concurrency: every change increments it; writers send the version they saw. */
  version: number;
}

const STATE_KEY = 'cart';

/**
 * One virtual actor per cart (id = cart id). Dapr runs one call at a time per actor (turn-based
 * concurrency), so a read-modify-write inside a method cannot interleave with another.
 * The class name is the actor type name: do not rename or minify.
 */
export class CartActor extends AbstractActor {
  async getCart(): Promise<CartState> {
    const [found, state] = await this.getStateManager<CartState>().tryGetState(STATE_KEY);
    return found && state ? state : { items: [], version: 0 };
  }
}
