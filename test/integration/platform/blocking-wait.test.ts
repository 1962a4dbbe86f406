/**
 * The blocking-invoke bound (the controller's maxWaitForBlockingActivation, 60 s by default) is
 * configurable: past it a blocking invoke answers 202 with the activation id, and the record appears
 * once the activation ends. Uses a controllable runtime so that the activation ends when the test says.
 */
import { ActionRuntime, RunOutcome } from '../../../lib/platform/runtime/types';
import { activationOf, raw } from './support';
import { clientFor, usePlatform } from '../../helpers/local-platform';

const releases: (() => void)[] = [];
const heldRuntime: ActionRuntime = {
  run: (_action, request) => new Promise<RunOutcome>((resolve) => {
    releases.push(() => {
      const now = Date.now();
      resolve({ status: 'success', result: { released: request.params }, logs: [], start: now, end: now, waitTime: 0, cold: false, containerId: 'held', timedOut: false });
    });
  }),
  evict: async () => undefined,
  stats: () => ({ containers: 0, busy: releases.length, queued: 0, memoryByContainer: {} }),
  shutdown: async () => { for (const release of releases.splice(0)) release(); },
};

const { platform } = usePlatform({ runtime: { instance: heldRuntime }, limits: { blockingWaitMs: 300 } });

test('a blocking invoke that outlasts the bound answers 202 with the id; the record appears when the run ends', async () => {
  await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/held', { exec: { kind: 'nodejs:20', code: 'function main() {}' } });
  const response = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/held?blocking=true', { k: 1 });
  expect(response.status).toBe(202);
  expect(Object.keys(response.body)).toEqual(['activationId']);
  const missing = await raw(platform, 'GET', `/api/v1/namespaces/_/activations/${response.body.activationId}`);
  expect(missing.status).toBe(404);
  expect(response.text).toContain(response.body.activationId);
  for (const release of releases.splice(0)) release();
  const record = await activationOf(clientFor(platform), response.body.activationId);
  expect(record.response.result).toEqual({ released: { k: 1 } });
});

test('the timeout query parameter shortens the wait, and must be within the bound', async () => {
  const shortened = await fetch(`${platform.apihost}/api/v1/namespaces/_/actions/held?blocking=true&timeout=50`, {
    method: 'POST', headers: { authorization: `Basic ${Buffer.from(platform.auth).toString('base64')}`, 'content-type': 'application/json' }, body: '{}',
  });
  expect(shortened.status).toBe(202);
  const body = (await shortened.json()) as { activationId: string };
  expect(shortened.headers.get('x-openwhisk-activation-id')).toBe(body.activationId);
  const tooLong = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/held?blocking=true&timeout=999999', {});
  expect(tooLong.status).toBe(400);
  expect(tooLong.body.error).toBe('Timeout must be number of milliseconds up to 300.');
  for (const release of releases.splice(0)) release();
});
