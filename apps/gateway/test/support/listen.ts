import type { AddressInfo } from 'node:net';
import type http from 'node:http';

/** Listens on a free loopback port; returns the port and adds the server to `opened` (for afterAll to close). */
export async function listen(server: http.Server, opened: http.Server[]): Promise<number> {
  opened.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
