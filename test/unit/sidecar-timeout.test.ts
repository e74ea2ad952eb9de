import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sidecar } from '../../kernel/dapr/sidecar';

/**
 * A timeout gives up on waiting but never hangs up on the sidecar: daprd 1.18.3 panics when a
 * caller disconnects while an invocation's answer is still being written.
 */
test('a timed-out sidecar call fails fast while the connection stays open until the answer is written', async () => {
  const outcomes: string[] = [];
  const answers: Array<() => void> = [];
  // The server answers only when the test says so: the order of events, not a clock, is asserted.
  const server = http.createServer((req, res) => {
    req.socket.once('close', () => outcomes.push('socket closed'));
    answers.push(() => res.end('late', () => outcomes.push('answer written')));
  });
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise((r) => setImmediate(r));
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sidecar = new Sidecar((server.address() as AddressInfo).port);
  try {
    await expect(sidecar.invoke('slow', '/slow', { timeoutMs: 50 })).rejects.toMatchObject({ name: 'TimeoutError' });
    // Gave up waiting; the request still reaches the server (on a busy machine it may arrive
    // only now) and its connection stays open until the answer is written.
    await until(() => answers.length === 1);
    expect(outcomes).toEqual([]);
    answers[0]!();
    await until(() => outcomes.length > 0);
    expect(outcomes[0]).toBe('answer written');
    // And a call without a timeout still gets its answer.
    const pending = sidecar.invoke('slow', '/slow');
    await until(() => answers.length === 2);
    answers[1]!();
    expect(await (await pending).text()).toBe('late');
  } finally {
    server.closeAllConnections(); // a failed assertion must not leave close() waiting on an open request
    await new Promise((resolve) => server.close(resolve));
  }
});
