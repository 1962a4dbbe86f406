/**
 * Issue 4, "one workflow definition, two execution models": every example under examples/ is deployed
 * once to the local platform (`whiskflow deploy`: actions, definition in the store, trigger and rule),
 * then run natively and under the streaming engines on Redis Streams and on Kafka (real servers). The
 * three runs must end alike: same status and output (checked against an independently computed
 * expectation), and the same records for `whiskflow status` and `logs` (stages, task counts, an
 * activation for every task) — except for nested-branches, whose records differ by design (see
 * `outputOnly`): its outputs are compared only.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../../../../lib/model/json';
import { DEFAULT_TOPICS } from '../../../../../lib/runtimes/streaming';
import { docIds, type RunDoc } from '../../../../../lib/store/run-documents';
import { wordCountOf } from '../../../../helpers/examples';
import { cliSession } from '../../../../helpers/cli';
import { deployWorkflow } from '../../../../../lib/deploy/workflow';
import { deployActionFile } from '../../../../../lib/deploy/action-file';
import { requireKafka, requireRedis, type KafkaTestService, type TestService } from '../../../../helpers/services';
import { startTogether } from '../../../../helpers/start-together';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../../helpers/deployed-platform';
import { comparableRecord, runUnder, startStreamingModel, type Model, type StreamingModel } from '../../../../helpers/two-models';
import { exampleJson, exampleSource, exampleWorkflow } from '../../../../helpers/fixtures';

// Generous: CI's 2 cores are shared by parallel suites; a run normally ends within seconds.
jest.setTimeout(300_000);

const MODELS: readonly Model[] = ['native', 'redis', 'kafka'];

/** 80 parallel waits of 10 ms each: the example's shape, a shorter wait. */
const shortWaits = { waits: Array.from({ length: 80 }, () => ({ ms: 10 })) };

/**
 * `outputOnly`: the records are not compared. The native engine runs a parallel branch of several
 * stages as a child run (records of its own, one task of the parent per branch), the streaming
 * engine as threads of the one run, so only status and output must match.
 */
const examples: { dir: string; actions: string; pkg: string; input: Json; expected: Json; outputOnly?: boolean }[] = [
  { dir: 'map-reduce', actions: 'map-reduce', pkg: 'mapreduce', input: exampleJson('map-reduce/input.json'), expected: { label: 'large', total: 210, parts: 5 } },
  // A total under 100 takes the choice's default branch.
  { dir: 'map-reduce', actions: 'map-reduce', pkg: 'mapreduce', input: { chunks: [{ numbers: [1, 2] }, { numbers: [3] }] }, expected: { label: 'small', total: 6, parts: 2 } },
  { dir: 'parallel-waits', actions: 'parallel-waits', pkg: 'waits', input: shortWaits, expected: { joined: 80, waitedInAll: 800 } },
  { dir: 'sequence-of-waits', actions: 'parallel-waits', pkg: 'waits', input: { ms: 20 }, expected: { waited: 300, total: 520 } },
  { dir: 'word-count', actions: 'word-count', pkg: 'wordcount', input: exampleJson('word-count/input.json'), expected: wordCountOf('word-count/text.txt') },
  {
    dir: 'nested-branches', actions: 'nested-branches', pkg: 'nested', input: exampleJson('nested-branches/input.json'),
    expected: { n: 3, branches: [{ v: 2 }, { total: 14 }, { size: 'big', n: 3 }, 1, { v: 3 }] }, outputOnly: true,
  },
];


describe('examples under the native and the streaming model (Redis, Kafka) on one local platform', () => {
  let deployed: DeployedPlatform | undefined;
  let redis: TestService | undefined;
  let kafka: KafkaTestService | undefined;
  const streaming: Partial<Record<Model, StreamingModel>> = {};

  beforeAll(async () => {
    [deployed, redis, kafka] = await startTogether([startDeployedPlatform(), requireRedis(), requireKafka()],
      (started) => ('platform' in started ? started.platform.stop() : started.stop()));
    const { client, store } = deployed;
    for (const { dir, actions, pkg } of examples) {
      await deployActionFile(client, { file: join(ROOT, 'examples', actions, 'actions.js'), packageName: pkg });
      await deployWorkflow(client, store, exampleWorkflow(dir));
    }
    streaming.redis = await startStreamingModel(deployed, redis.url, 'redis');
    streaming.kafka = await startStreamingModel(deployed, kafka.url, 'kafka');
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(Object.values(streaming).map((model) => model.stop()));
    await Promise.allSettled([deployed?.platform.stop(), redis?.stop(), kafka?.stop()]);
  });

  it.each(examples)('$dir → $expected', async ({ dir, input, expected, outputOnly }) => {
    const live = deployed as DeployedPlatform;
    const workflow = exampleWorkflow(dir).name;
    // The three models at once: they share the platform, as they would share a real OpenWhisk.
    const heads = await Promise.all(MODELS.map((model) => runUnder(model, live, streaming, workflow, input, 240_000)));

    for (const [index, head] of heads.entries()) {
      expect({ model: MODELS[index], failure: head.failure ?? null, output: head.output }).toEqual({ model: MODELS[index], failure: null, output: expected });
      expect((head as { engine?: string }).engine).toBe(MODELS[index] === 'native' ? undefined : 'stream');
    }
    if (outputOnly) return;
    const records = await Promise.all(heads.map((head) => comparableRecord(live.store, head)));
    expect({ model: 'redis', record: records[1] }).toEqual({ model: 'redis', record: records[0] });
    expect({ model: 'kafka', record: records[2] }).toEqual({ model: 'kafka', record: records[0] });
  });

  it('`whiskflow run --stream … --wait` starts a run that the streaming engine runs, and waits for it', async () => {
    const live = deployed as DeployedPlatform;
    const prefix = `cli-${randomUUID().slice(0, 8)}.`;
    const model = await startStreamingModel(live, (redis as TestService).url, 'cli', {
      completions: `${prefix}${DEFAULT_TOPICS.completions}`, orchestration: `${prefix}${DEFAULT_TOPICS.orchestration}`,
    });
    const input = { chunks: [{ numbers: [1, 2] }, { numbers: [3] }] };
    let output: string[] = [];
    try {
      output = await withCli(live, (cli) => cli('run', 'map-reduce', '--input', JSON.stringify(input), '--stream', (redis as TestService).url, '--topic-prefix', prefix, '--wait', '--timeout', '240'));
    } finally {
      await model.stop();
    }
    const runId = /started run (\S+)/.exec(output.join('\n'))?.[1];
    expect(output.join('\n')).toContain(`run ${runId} succeeded`);
    expect(JSON.parse(output.at(-1) ?? 'null')).toEqual({ label: 'small', total: 6, parts: 2 });
    const head = await live.store.get<RunDoc>(docIds.run(runId as string));
    expect((head as { engine?: string } | undefined)?.engine).toBe('stream');
  });

  it('`whiskflow deploy --model streaming` selects the streaming model: `whiskflow run` then starts runs on the engine\'s stream', async () => {
    const live = deployed as DeployedPlatform;
    const prefix = `deploy-${randomUUID().slice(0, 8)}.`;
    const dir = mkdtempSync(join(tmpdir(), 'whiskflow-streamed-'));
    const file = join(dir, 'workflow.yaml');
    writeFileSync(file, exampleSource('map-reduce').replace(/^name: map-reduce$/m, 'name: map-reduce-streamed'));
    const model = await startStreamingModel(live, (redis as TestService).url, 'deploy', {
      completions: `${prefix}${DEFAULT_TOPICS.completions}`, orchestration: `${prefix}${DEFAULT_TOPICS.orchestration}`,
    });
    let output: string[] = [];
    try {
      output = await withCli(live, async (cli) => {
        // Deployed natively first: the streaming deployment takes its trigger and rule away.
        await cli('deploy', file);
        await expect(cli('deploy', file, '--model', 'streaming')).rejects.toThrow(/--model streaming needs --stream/);
        await expect(cli('deploy', file, '--model', 'streaming', '--stream', (redis as TestService).url, '--cron', '* * * * *')).rejects.toThrow(/--cron only apply to --model native/);
        await expect(cli('deploy', file, '--model', 'batch')).rejects.toThrow("option '--model <model>' argument 'batch' is invalid. Allowed choices are native, streaming.");
        await cli('deploy', file, '--model', 'streaming', '--stream', (redis as TestService).url, '--topic-prefix', prefix);
        await expect(live.client.triggers.get({ name: 'whiskflow-map-reduce-streamed' })).rejects.toMatchObject({ statusCode: 404 });
        await cli('run', 'map-reduce-streamed', '--input', JSON.stringify({ chunks: [{ numbers: [4, 5] }] }), '--wait', '--timeout', '240');
      });
    } finally {
      await model.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const text = output.join('\n');
    expect(text).toContain('ok: deployed workflow map-reduce-streamed for the streaming model');
    const runId = /started run (\S+)/.exec(text)?.[1];
    expect(text).toContain(`run ${runId} succeeded`);
    expect(JSON.parse(output.at(-1) ?? 'null')).toEqual({ label: 'small', total: 9, parts: 1 });
    const head = await live.store.get<RunDoc>(docIds.run(runId as string));
    expect(head).toMatchObject({ workflow: 'map-reduce-streamed', engine: 'stream' });
  });
});

type Cli = (...args: string[]) => Promise<unknown>;

/**
 * Runs `body` with the workflow commands pointed at the local platform (environment as a user would
 * set it), capturing what they print; returns the printed lines. The environment and the console
 * are restored afterwards.
 */
async function withCli(live: DeployedPlatform, body: (cli: Cli) => Promise<unknown>): Promise<string[]> {
  const session = cliSession(live.platform, { captureStdout: false });
  try {
    await body((...args) => session.cli(...args));
  } finally {
    session.restore();
  }
  return session.printed;
}
