/**
 * The same-run baseline: a bare Koa app answering GET /products/:id with a fixed product JSON
 * (the one the catalog returns), with no middleware, database, Dapr or logging. Every figure of
 * the benchmark is also reported as a ratio of this one, measured minutes apart on the same machine.
 */
import Koa from 'koa';

const port = Number(process.env.PORT ?? 18990);
const body = process.env.BODY ?? '{}';
const app = new Koa();
app.use((ctx) => {
  ctx.type = 'application/json';
  ctx.body = body;
});
const server = app.listen(port, '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
