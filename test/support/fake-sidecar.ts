/**
 * A sidecar that answers service invocations from a table and records every call, for the
 * saga's activities without servers.
 */
import { Sidecar, SidecarResponse } from '../../kernel/dapr/sidecar';
import { HttpProblem } from '../../kernel/problem';

export type FakeAnswer = { status: number; body?: unknown; headers?: Record<string, string> };
export type FakeCall = { app: string; path: string; body: any };

export function fakeSidecar(answer: (app: string, path: string, body: any) => FakeAnswer): { sidecar: Sidecar; calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const invoke = async (app: string, path: string, init: { body?: string } = {}) => {
    const body = init.body ? JSON.parse(init.body) : undefined;
    calls.push({ app, path, body });
    const a = answer(app, path, body);
    return new SidecarResponse(a.status, { 'content-type': 'application/json', ...a.headers }, Buffer.from(a.body === undefined ? '' : JSON.stringify(a.body)));
  };
  const invokeJson = async (app: string, path: string, init: { body?: string } = {}) => {
    const res = await invoke(app, path, init);
    const text = await res.text();
    if (!res.ok) throw new HttpProblem(res.status, text);
    return JSON.parse(text);
  };
  // The real absence rule (404/400 → undefined) over the fake's invokeJson.
  const invokeJsonIfFound = Sidecar.prototype.invokeJsonIfFound;
  return { sidecar: { invoke, invokeJson, invokeJsonIfFound } as unknown as Sidecar, calls };
}
