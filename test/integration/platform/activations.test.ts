/**
 * Activation records: list filters (name, since, upto, limit, skip, docs, count), get, result, logs.
 */
import { raw } from './support';
import { usePlatform } from '../../helpers/local-platform';
import { sleep } from '../../helpers/until';

const { platform, ow } = usePlatform();
const ids: { alpha: string[]; beta: string[]; inPackage: string[] } = { alpha: [], beta: [], inPackage: [] };
let between = 0;

beforeAll(async () => {
  await ow.actions.create({ name: 'alpha', action: 'function main(p) { console.log("alpha " + p.i); return { i: p.i }; }' });
  await ow.actions.create({ name: 'beta', action: 'function main(p) { console.error("beta"); return { beta: true }; }' });
  await ow.packages.create({ name: 'tools' });
  await ow.actions.create({ name: 'tools/alpha', action: 'function main() { return { packaged: true }; }' });
  for (let i = 0; i < 3; i++) ids.alpha.push((await ow.actions.invoke({ name: 'alpha', blocking: true, params: { i } })).activationId);
  between = Date.now();
  // Records are compared by their start time; make sure the next ones start strictly later.
  await sleep(5);
  ids.beta.push((await ow.actions.invoke({ name: 'beta', blocking: true })).activationId);
  ids.inPackage.push((await ow.actions.invoke({ name: 'tools/alpha', blocking: true })).activationId);
});

test('list answers summaries, newest first', async () => {
  const list = await ow.activations.list({ limit: 10 });
  expect(list.map((record: { activationId: string }) => record.activationId))
    .toEqual([ids.inPackage[0], ids.beta[0], ...[...ids.alpha].reverse()]);
  expect(list[0]).toEqual(expect.objectContaining({ name: 'alpha', namespace: 'guest', statusCode: 0, version: '0.0.1' }));
  expect(list[0].response).toBeUndefined();
  expect(list[0].logs).toBeUndefined();
});

test('name filters by simple name or package/name', async () => {
  const alpha = await ow.activations.list({ name: 'alpha' });
  expect(alpha.map((record: { activationId: string }) => record.activationId).sort()).toEqual([...ids.alpha, ...ids.inPackage].sort());
  const packaged = await ow.activations.list({ name: 'tools/alpha' });
  expect(packaged.map((record: { activationId: string }) => record.activationId)).toEqual(ids.inPackage);
  const bad = await raw(platform, 'GET', '/api/v1/namespaces/_/activations?name=a/b/c');
  expect(bad.status).toBe(400);
  expect(bad.body.error).toBe("Parameter may be a 'simple' name or 'package-name/simple' name: a/b/c");
});

test('since and upto bound the start time', async () => {
  const later = await ow.activations.list({ since: between + 1 });
  expect(later.map((record: { activationId: string }) => record.activationId).sort()).toEqual([...ids.beta, ...ids.inPackage].sort());
  const earlier = await ow.activations.list({ upto: between });
  expect(earlier.map((record: { activationId: string }) => record.activationId).sort()).toEqual([...ids.alpha].sort());
  expect((await raw(platform, 'GET', '/api/v1/namespaces/_/activations?since=yesterday')).status).toBe(400);
});

test('limit, skip, count and docs', async () => {
  const page = await ow.activations.list({ limit: 2, skip: 1 });
  expect(page.map((record: { activationId: string }) => record.activationId)).toEqual([ids.beta[0], ids.alpha[2]]);
  expect(await ow.activations.list({ count: true })).toEqual({ activations: 5 });
  expect(await ow.activations.list({ count: true, name: 'beta' })).toEqual({ activations: 1 });
  const docs = await ow.activations.list({ docs: true, name: 'beta' });
  expect(docs[0].response.result).toEqual({ beta: true });
  const both = await raw(platform, 'GET', '/api/v1/namespaces/_/activations?docs=true&count=true');
  expect(both.status).toBe(400);
  expect(both.body.error).toBe("The parameter 'docs' is not permitted with 'count'.");
});

test('get, result and logs of one activation', async () => {
  const id = ids.alpha[1]!;
  const record = await ow.activations.get({ name: id });
  expect(record.response.result).toEqual({ i: 1 });
  expect(record.logs).toHaveLength(1);
  expect(record.logs[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z\s+stdout: alpha 1$/);
  expect(await ow.activations.result({ name: id })).toEqual(record.response);
  expect(await ow.activations.logs({ name: id })).toEqual({ logs: record.logs });
  const betaLogs = await ow.activations.logs({ name: ids.beta[0] });
  expect(betaLogs.logs[0]).toMatch(/stderr: beta$/);
});

test('malformed ids are 400, unknown ids 404', async () => {
  const malformed = await raw(platform, 'GET', '/api/v1/namespaces/_/activations/not-an-id');
  expect(malformed.status).toBe(400);
  expect(malformed.body.error).toBe('The activation id is not valid.');
  const unknown = await raw(platform, 'GET', `/api/v1/namespaces/_/activations/${'0'.repeat(32)}`);
  expect(unknown.status).toBe(404);
});
