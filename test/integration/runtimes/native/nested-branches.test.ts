/**
 * A parallel stage whose branches are stage lists (examples/nested-branches) on the local platform,
 * through the CLI as a user drives it: deploy, run --wait, status and logs of the parent (which name
 * the child runs), status of a child run, runs (which lists only the parent).
 */
import { join } from 'path';
import { startLocalPlatform, type LocalPlatform } from '../../../helpers/local-platform';
import { cliSession, type CliSession } from '../../../helpers/cli';
import { docIds } from '../../../../lib/store/run-documents';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '../../../..');

describe('nested branches on the local platform', () => {
  let platform: LocalPlatform;
  let session: CliSession;
  const cli = (...args: string[]): Promise<string> => session.cli(...args);

  beforeAll(async () => {
    platform = await startLocalPlatform();
    session = cliSession(platform);
  });

  afterAll(async () => {
    session?.restore();
    await platform?.stop();
  });

  it('runs to the joined output and shows the child runs in status and logs', async () => {
    const example = join(ROOT, 'examples/nested-branches');
    expect(await cli('deploy', example, '--actions', join(example, 'actions.js'), '--package', 'nested'))
      .toContain('ok: deployed workflow nested-branches');

    const ran = await cli('run', 'nested-branches', '--input', join(example, 'input.json'), '--wait', '--timeout', '200');
    const runId = /started run (\S+)/.exec(ran)?.[1];
    expect(runId).toBeDefined();
    expect(ran).toContain(`run ${runId} succeeded`);
    const printed = ran.slice(ran.indexOf(`run ${runId} succeeded`) + `run ${runId} succeeded`.length);
    expect(JSON.parse(printed)).toEqual({ n: 3, branches: [{ v: 2 }, { total: 14 }, { size: 'big', n: 3 }, 1, { v: 3 }] });

    const children = [0, 1, 2, 4].map((index) => docIds.childRun(runId!, 0, index, 1));
    const status = await cli('status', runId!);
    expect(status).toContain(`run ${runId} of nested-branches: succeeded`);
    for (const [position, child] of children.entries()) {
      expect(status).toContain(`stage fork: branch ${[0, 1, 2, 4][position]} runs as child run ${child}: succeeded`);
    }

    const logs = await cli('logs', runId!);
    expect(logs).toMatch(/\[0\] fork: 5\/5 done, \d+ ms/);
    expect(logs).toMatch(new RegExp(`task 1: #1 child run ${children[1]!.replace(/\./g, '\\.')} \\(succeeded, started by [0-9a-f]{32}\\) -> ok`));
    // The single-task branch is an ordinary task with its conductor's activation.
    expect(logs).toMatch(/task 3: #1 [0-9a-f]{32} -> ok/);
    expect(logs).toMatch(/\[1\] summary: 1\/1 done/);

    // Drilling into the map→reduce branch: a run of its own, linked to its parent.
    const child = await cli('status', children[1]!);
    expect(child).toContain(`run ${children[1]} of nested-branches: succeeded`);
    expect(child).toContain(`child run of ${runId} (stage fork, branch 1)`);
    expect(child).toContain('output: {"total":14}');
    const childLogs = await cli('logs', children[1]!);
    expect(childLogs).toMatch(/\[0\] squares: 3\/3 done/);
    expect(childLogs).toMatch(/\[1\] sum-of-squares: 1\/1 done/);

    const runs = await cli('runs');
    expect(runs).toContain(runId);
    expect(runs).not.toContain(`${runId}.`);
  });
});
