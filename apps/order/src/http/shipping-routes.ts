/**
 * Shipping methods and tax rates: customers list the methods (priced for a cart when they say
 * what it weighs and is worth); admins keep the methods and the rate table.
 */
import { defineRoute, type Route } from '../../../../kernel/http/route';
import { HttpProblem, validationProblem } from '../../../../kernel/problem';
import { fromMinorUnits } from '../../../../kernel/domain/money';
import { tableProblems, type ShippingCalculator, type ShippingMethod } from '../domain/shipping';
import { rateTableProblems } from '../domain/tax';
import type { ShippingMethodRecord, ShippingStore } from '../store/shipping';
import { createMethodBody, methodParams, methodsQuery, replaceMethodBody, shippingMethodSchema, taxRatesBody } from './shipping-schemas';

const tags = ['shipping and tax'];

function present(m: ShippingMethodRecord) {
  return {
    code: m.code, name: m.name, countries: m.countries, currency: m.currency, rate_by: m.rate_by,
    rates: m.rates.map((r) => ({ ...r, price: fromMinorUnits(r.price_minor, m.currency) })),
    free_over_minor: m.free_over_minor, active: m.active, version: m.version, created_at: m.created_at, updated_at: m.updated_at,
  };
}

type MethodInput = Omit<ShippingMethod, 'free_over_minor' | 'active'> & { free_over_minor?: number | null; active?: boolean };

/** A body the schema accepted, checked for what it cannot say (brackets ascending, '*' alone). */
function methodOf(body: MethodInput): ShippingMethod {
  const method: ShippingMethod = {
    code: body.code, name: body.name, countries: [...body.countries], currency: body.currency, rate_by: body.rate_by,
    rates: body.rates.map((r) => ({ up_to: r.up_to, price_minor: r.price_minor })), free_over_minor: body.free_over_minor ?? null, active: body.active ?? true,
  };
  const problems = tableProblems(method);
  if (problems.length) throw validationProblem(problems);
  return method;
}

export function shippingRoutes(store: ShippingStore, calculator: ShippingCalculator): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/shipping-methods',
      summary: 'The shipping methods offered (to a country, in a currency); with both, each priced for the cart described by weight_grams and subtotal_minor; view=admin: every method with its rate table (admins)',
      tags,
      access: 'public',
      query: methodsQuery,
      responses: { 200: { description: '{ items }: methods (code, name, countries, currency), with price_minor when priced for a cart' } },
      handler: async ({ query, caller }) => {
        const headers = { 'cache-control': 'no-store' };
        if (query.view === 'admin') {
          if (caller?.role !== 'admin') throw new HttpProblem(403, 'Only administrators see every method with its rate table.');
          return { body: { items: (await store.methods()).map(present) }, headers };
        }
        const active = (await store.methods()).filter((m) => m.active);
        if (query.country && query.currency) {
          const cart = { country: query.country, currency: query.currency, weight_grams: Number(query.weight_grams ?? 0), subtotal_minor: Number(query.subtotal_minor ?? 0) };
          const byCode = new Map(active.map((m) => [m.code, m]));
          const items = calculator.quote(active, cart).map((q) => ({ ...q, countries: byCode.get(q.code)!.countries, price: fromMinorUnits(q.price_minor, q.currency) }));
          return { body: { items }, headers };
        }
        const items = active
          .filter((m) => (!query.country || m.countries.includes('*') || m.countries.includes(query.country)) && (!query.currency || m.currency === query.currency))
          .map((m) => ({ code: m.code, name: m.name, countries: m.countries, currency: m.currency }));
        return { body: { items }, headers };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/shipping-methods',
      summary: 'Create a shipping method (admins)',
      tags,
      access: 'admin',
      body: createMethodBody,
      responses: {
        201: { description: 'Created', schema: shippingMethodSchema },
        400: { description: 'Malformed: brackets not ascending, an open bracket before the last, "*" beside countries' },
        409: { description: 'A method with this code exists' },
      },
      handler: async ({ body }) => {
        const created = await store.create(methodOf(body));
        return { status: 201, body: present(created), headers: { location: `/shipping-methods/${created.code}` } };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/shipping-methods/:code',
      summary: 'Replace a shipping method (admins; orders already placed keep what they were charged)',
      tags,
      access: 'admin',
      params: methodParams,
      body: replaceMethodBody,
      responses: { 200: { description: 'Replaced', schema: shippingMethodSchema }, 400: { description: 'Malformed' }, 404: { description: 'No such method' } },
      handler: async ({ params, body }) => {
        const replaced = await store.replace(methodOf({ ...body, code: params.code }));
        if (!replaced) throw new HttpProblem(404, `No shipping method ${params.code}; POST /shipping-methods creates one.`);
        return { body: present(replaced) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/shipping-methods/:code',
      summary: 'Delete a shipping method (admins; orders placed with it keep it)',
      tags,
      access: 'admin',
      params: methodParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such method' } },
      handler: async ({ params }) => {
        if (!(await store.remove(params.code))) throw new HttpProblem(404, `No shipping method ${params.code}.`);
        return {};
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/tax-rates',
      summary: 'The tax rate table: basis points by country and tax class (admins)',
      tags,
      access: 'admin',
      responses: { 200: { description: '{ rates: [{ country, tax_class, rate_bp }] }' } },
      handler: async () => ({ body: { rates: await store.taxRates() }, headers: { 'cache-control': 'no-store' } }),
    }),
    defineRoute({
      method: 'PUT',
      path: '/tax-rates',
      summary: 'Replace the tax rate table (admins; orders already placed keep their rates)',
      tags,
      access: 'admin',
      body: taxRatesBody,
      responses: { 200: { description: 'The table now' }, 400: { description: 'Malformed, or a (country, tax_class) listed twice' } },
      handler: async ({ body }) => {
        const rates = body.rates.map((r) => ({ country: r.country, tax_class: r.tax_class, rate_bp: r.rate_bp }));
        const problems = rateTableProblems(rates);
        if (problems.length) throw validationProblem(problems);
        return { body: { rates: await store.replaceTaxRates(rates) } };
      },
    }),
  ];
}
