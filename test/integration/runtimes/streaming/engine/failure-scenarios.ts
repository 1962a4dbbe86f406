/**
 * Issue 4's failure tests, end to end, written once and run on each backend (Redis Streams, Kafka):
 * `whiskflow engine` in real OS processes, unmodified actions on the local platform, run state in its
 * CouchDB. What must hold after every fault: the run ends with the right result, each task ran once
 * and the next stage started exactly once — counted from the platform's activation records, which
 * (unlike the create-only invoke claims) would show a second start.
 *
 * - an engine process is SIGKILLed mid-join and another one is started;
 * - the broker is killed and restarted (same data) mid-run;
 * - every completion event is delivered several times (also after the run ended);
 * - an action outlives its stage's timeout: the timeout fires, `catch` routes to the next stage,
 *   and the action's late completion changes nothing.
 */
import { randomUUID } from 'node:crypto';
import openwhisk from 'openwhisk';
import { createEventStream, type EventStream } from '../../../../../lib/runtimes/streaming/brokers';
import { startStreamRun } from '../../../../../lib/runtimes/streaming';
import { INVOKE_CLAIM_PREFIX, type InvokeClaim } from '../../../../../lib/runtimes/streaming/invoke-claims';
import { DEFAULT_TOPICS } from '../../../../../lib/runtimes/streaming/topics';
import { waitForRun } from '../../../../../lib/runs/run-client';
import { taskEventFromActivation } from '../../../../../lib/events/activation';
import type { ActivationLike } from '../../../../../lib/events/activation';
import { toStructuredJson } from '../../../../../lib/events/cloudevent';
import { toWorkflow } from '../../../../../lib/model/parse';
import { docIds, type RunDoc } from '../../../../../lib/store/run-documents';
import type { RunStore } from '../../../../../lib/store/run-store';
import { deployWorkflow } from '../../../../../lib/deploy/workflow';
import type { TestService } from '../../../../helpers/services';
import { startTogether } from '../../../../helpers/start-together';
import { startDeployedPlatform, type DeployedPlatform } from '../../../../helpers/deployed-platform';
import { startEngineProcess, type EngineProcess } from './engine-process';
import { sleep, until } from '../../../../helpers/until';

interface FailureWorld {
  deployed: DeployedPlatform;
  /** A broker this test run started (so that it may be restarted). */
  service: TestService;
}

type Client = ReturnType<typeof openwhisk>;
type ActivationSummary = { activationId: string; name: string; start: number; end?: number };

/** Map elements finish one after another between 1 s and 3.2 s: a join in progress lasts seconds. */
const ITEMS = Array.from({ length: 12 }, (_, i) => ({ i, ms: 1_000 + 200 * i }));
const JOINED = { joined: ITEMS.length, order: ITEMS.map((item) => item.i) };

/**
 * The scenarios on one backend: a broker this suite starts with `requireService` (so that it may be
 * crashed and restarted), `whiskflow engine` processes and the local platform.
 */
export function failureSuite(backend: string, requireService: () => Promise<TestService>): void {
  describe(`streaming failures end to end on ${backend}`, () => {
    let deployed: DeployedPlatform | undefined;
    let service: TestService | undefined;

    beforeAll(async () => {
      [deployed, service] = await startTogether([startDeployedPlatform(), requireService()],
        (started) => ('platform' in started ? started.platform.stop() : started.stop()));
    }, 150_000);
    afterAll(async () => {
      await Promise.allSettled([deployed?.platform.stop(), service?.stop()]);
    });

    failureScenarios((): FailureWorld => ({ deployed: deployed as DeployedPlatform, service: service as TestService }));
  });
}

function failureScenarios(world: () => FailureWorld): void {
  const engines: EngineProcess[] = [];
  const streams: EventStream[] = [];

  afterEach(async () => {
    await Promise.allSettled(engines.splice(0).map((engine) => engine.stop()));
    await Promise.allSettled(streams.splice(0).map((stream) => stream.close()));
  });

  /** A fresh name for this test's actions, workflow and topics. */
  function scenario(): { tag: string; topicPrefix: string; completions: string; ow: Client; store: RunStore } {
    const { deployed } = world();
    const tag = `f${randomUUID().slice(0, 8)}`;
    const topicPrefix = `${tag}.`;
    return {
      tag, topicPrefix, completions: `${topicPrefix}${DEFAULT_TOPICS.completions}`,
      ow: openwhisk({ apihost: deployed.platform.apihost, api_key: deployed.platform.auth }), store: deployed.store,
    };
  }

  async function engine(topicPrefix: string, name: string): Promise<EngineProcess> {
    const { deployed, service } = world();
    const started = await startEngineProcess({ platform: deployed.platform, streamUrl: service.url, topicPrefix, name });
    engines.push(started);
    return started;
  }

  function producer(): EventStream {
    const stream = createEventStream(world().service.url, { partitions: 4 });
    streams.push(stream);
    return stream;
  }

  /** Actions `<tag>-wait` and `<tag>-count` and workflow `<tag>-fan-in`: a map of waits, then their join. */
  async function deployFanIn(tag: string, ow: Client): Promise<string> {
    await ow.actions.create({ name: `${tag}-wait`, action: 'function main(p) { return new Promise((r) => setTimeout(() => r({ i: p.i }), p.ms)); }' });
    await ow.actions.create({ name: `${tag}-count`, action: 'function main(p) { return { joined: p.results.length, order: p.results.map((r) => r.i) }; }' });
    const workflow = toWorkflow({
      name: `${tag}-fan-in`,
      stages: [
        { id: 'waits', kind: 'map', action: `${tag}-wait`, items: '$.items' },
        { id: 'join', kind: 'reduce', action: `${tag}-count` },
      ],
    });
    await deployWorkflow(world().deployed.client, world().deployed.store, workflow);
    return workflow.name;
  }

  /** The run ended right, each wait ran once, the join stage started exactly once. */
  async function expectFanInExactlyOnce(ow: Client, tag: string, head: RunDoc, since: number): Promise<void> {
    const { store } = world().deployed;
    expect({ status: head.status, output: head.output, failure: head.failure ?? null }).toEqual({ status: 'succeeded', output: JOINED, failure: null });
    // Activation records are written when an activation ends; the join's ended before the run did.
    expect(await countActivations(ow, `${tag}-count`, since)).toBe(1);
    expect(await countActivations(ow, `${tag}-wait`, since)).toBe(ITEMS.length);
    const claims = await claimsOf(store, head.runId);
    expect(claims.length).toBe(ITEMS.length + 1);
    expect(claims.every((claim) => typeof claim.activationId === 'string' && claim.reported === true)).toBe(true);
  }

  it('survives a SIGKILLed engine process mid-join: a new process finishes the run, the join starts once', async () => {
    const { tag, topicPrefix, completions, ow, store } = scenario();
    const workflow = await deployFanIn(tag, ow);
    const first = await engine(topicPrefix, `${tag}-a`);
    const since = Date.now() - 1_000;
    const runId = await startStreamRun(producer(), { workflow, input: { items: ITEMS }, topic: completions });

    // Every wait invoked, some of their completions joined, some not yet.
    await until('the join is half done', async () => {
      const claims = await claimsOf(store, runId);
      const reported = claims.filter((claim) => claim.reported).length;
      return claims.length === ITEMS.length && claims.every((claim) => claim.activationId) && reported > 0 && reported < ITEMS.length;
    });
    await first.kill();
    engines.splice(engines.indexOf(first), 1);
    await engine(topicPrefix, `${tag}-b`);

    const head = await waitForRun(store, runId, { timeoutMs: 90_000, pollMs: 100 });
    await expectFanInExactlyOnce(ow, tag, head, since);
  });

  it('survives a broker crash and restart mid-run: the run ends right, the join starts once', async () => {
    const { tag, topicPrefix, completions, ow, store } = scenario();
    const workflow = await deployFanIn(tag, ow);
    await engine(topicPrefix, `${tag}-a`);
    const since = Date.now() - 1_000;
    const runId = await startStreamRun(producer(), { workflow, input: { items: ITEMS }, topic: completions });

    await until('the first completions are joined', async () => {
      const claims = await claimsOf(store, runId);
      return claims.length === ITEMS.length && claims.some((claim) => claim.reported);
    });
    // SIGKILL, then the same server on the same port with its data: completions of the tasks that
    // end meanwhile must wait for it, not be lost.
    await world().service.restart({ crash: true });

    const head = await waitForRun(store, runId, { timeoutMs: 120_000, pollMs: 100 });
    await expectFanInExactlyOnce(ow, tag, head, since);
  });

  it('applies duplicated completion events once, also after the run ended', async () => {
    const { tag, topicPrefix, completions, ow, store } = scenario();
    const workflow = await deployFanIn(tag, ow);
    await engine(topicPrefix, `${tag}-a`);
    const since = Date.now() - 1_000;
    const stream = producer();
    const runId = await startStreamRun(stream, { workflow, input: { items: ITEMS }, topic: completions });

    // Each completion the engine reported goes to the stream three more times, as a redelivering
    // broker or a second reporter would send it (same event id, same content).
    const duplicated = new Set<string>();
    const duplicate = async (): Promise<void> => {
      for (const claim of await claimsOf(store, runId)) {
        if (!claim.reported || !claim.activationId || duplicated.has(claim.taskKey)) continue;
        const record = (await ow.activations.get({ name: claim.activationId })) as unknown as ActivationLike;
        const event = toStructuredJson(taskEventFromActivation(runId, claim.taskKey, record));
        await stream.produce(completions, runId, [event, event, event]);
        duplicated.add(claim.taskKey);
      }
    };
    const head = await until('the run ends, its completions duplicated meanwhile', async () => {
      await duplicate();
      const current = await store.get<RunDoc>(docIds.run(runId));
      return current && current.status !== 'running' ? current : undefined;
    }, { intervalMs: 100, timeoutMs: Infinity });
    await duplicate();
    expect(duplicated.size).toBe(ITEMS.length + 1);
    // The duplicates of the last completions reach the engine after the run ended: they change nothing.
    await sleep(1_500);
    const after = await store.get<RunDoc>(docIds.run(runId));
    expect(after?.endedAt).toBe(head.endedAt);
    await expectFanInExactlyOnce(ow, tag, head, since);
  });

  it('fires the stage timeout of an action that does not report in time; the next stage starts once, the late completion changes nothing', async () => {
    const { tag, topicPrefix, completions, ow, store } = scenario();
    await ow.actions.create({ name: `${tag}-slow`, action: 'function main() { return new Promise((r) => setTimeout(() => r({ late: true }), 3000)); }' });
    await ow.actions.create({ name: `${tag}-recover`, action: 'function main(p) { return { recovered: p.error.error, stage: p.error.stageId }; }' });
    const workflow = toWorkflow({
      name: `${tag}-timeout`,
      stages: [
        { id: 'slow', kind: 'task', action: `${tag}-slow`, timeout: 500, catch: [{ errors: ['whiskflow.Timeout'], next: 'recover' }] },
        { id: 'recover', kind: 'task', action: `${tag}-recover` },
      ],
    });
    await deployWorkflow(world().deployed.client, store, workflow);
    await engine(topicPrefix, `${tag}-a`);
    const since = Date.now() - 1_000;
    const runId = await startStreamRun(producer(), { workflow: workflow.name, input: {}, topic: completions });

    const head = await waitForRun(store, runId, { timeoutMs: 60_000, pollMs: 100 });
    expect({ status: head.status, output: head.output }).toEqual({ status: 'succeeded', output: { recovered: 'whiskflow.Timeout', stage: 'slow' } });
    // The run ended before the slow action did; once it has ended too and the engine reported it:
    await until('the late completion is reported', async () => (await claimsOf(store, runId)).every((claim) => claim.reported));
    await sleep(1_000);
    expect(await countActivations(ow, `${tag}-slow`, since)).toBe(1);
    expect(await countActivations(ow, `${tag}-recover`, since)).toBe(1);
    const after = await store.get<RunDoc>(docIds.run(runId));
    expect({ status: after?.status, endedAt: after?.endedAt, output: after?.output }).toEqual({ status: head.status, endedAt: head.endedAt, output: head.output });
  });
}

async function claimsOf(store: RunStore, runId: string): Promise<InvokeClaim[]> {
  const rows = await store.listByPrefix<InvokeClaim>(`${INVOKE_CLAIM_PREFIX}${runId}/`, { includeDocs: true });
  return rows.flatMap((row) => (row.doc ? [row.doc] : []));
}

/** Activations of `name` that started since `since` (the list API, paged). */
async function countActivations(ow: Client, name: string, since: number): Promise<number> {
  const found = new Set<string>();
  for (let skip = 0; ; skip += 200) {
    const page = (await ow.activations.list({ name, since, limit: 200, skip })) as unknown as ActivationSummary[];
    for (const record of page) found.add(record.activationId);
    if (page.length < 200) break;
  }
  return found.size;
}
