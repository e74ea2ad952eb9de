/**
 * The inventory actor's method arguments, declared with the actor (actors/inventory/commands.ts:
 * actors/ never import apps/, apps may import actors/). Re-exported for the routes and the store.
 */
export * from '../../../../actors/inventory/commands';
