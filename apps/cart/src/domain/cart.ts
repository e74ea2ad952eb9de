/**
 * Cart rules, declared with the actor that applies them (actors/cart/rules.ts: actors/ never
 * import apps/, apps may import actors/). Re-exported so the app reads them from its domain.
 */
export * from '../../../../actors/cart/rules';
