import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sidecar } from '../../kernel/dapr/sidecar';

/**
 * A timeout gives up on waiting but never hangs up on the sidecar: daprd 1.18.3 panics when a
 * caller disconnects while an invocation's answer is still being written.
 */
test('a timed-out sidecar call fails fast while the connection stays open until the answer is written', async () => {
  const outcomes: string[] = [];
  const server = http.createServer((req, res) => {
    req.socket.once('close', () => outcomes.push('socket closed'));
    setTimeout(() => {
      res.end('late', () => outcomes.push('answer written'));
    }, 200);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sidecar = new Sidecar((server.address() as AddressInfo).port);
  try {
    const started = Date.now();
    await expect(sidecar.invoke('slow', '/slow', { timeoutMs: 50 })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(150);
    await new Promise((r) => setTimeout(r, 300));
    expect(outcomes[0]).toBe('answer written');
    // And a call without a timeout still gets its answer.
    expect(await (await sidecar.invoke('slow', '/slow')).text()).toBe('late');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
