/**
 * `whiskflow deploy` and `whiskflow manifest` read and validate the workflow file before anything
 * else, so a loop of choices that runs no task is refused without a platform: exit code 1 (bad
 * input, lib/cli/exit-codes.ts), the loop named in the error, nothing deployed or written.
 */
import { existsSync, writeFileSync } from 'fs';
import { join } from 'path';
import { EXIT } from '../../../lib/cli/exit-codes';
import { cliSession, type CliSession } from '../../helpers/cli';

const LOOP = `
name: spin
stages:
  - { id: fetch, kind: task, action: fetch }
  - id: check
    kind: choice
    rules: [{ when: { path: $.ready, equals: true }, next: done }]
    default: retry-check
  - id: retry-check
    kind: choice
    rules: [{ when: { path: $.ready, equals: false }, next: check }]
    default: done
  - { id: done, kind: succeed }
`;

describe('the CLI refuses a workflow whose choices loop without a task', () => {
  let session: CliSession;
  let file: string;
  beforeEach(() => {
    // No platform: the file is refused before any connection is made.
    session = cliSession({ apihost: 'http://127.0.0.1:9', auth: 'none', couchUrl: 'http://127.0.0.1:9' }, { connection: 'none' });
    file = join(session.dir, 'spin.yaml');
    writeFileSync(file, LOOP);
  });
  afterEach(() => session.restore());

  it('deploy exits with the input error code and names the loop', async () => {
    const outcome = await session.result('deploy', file);
    expect(outcome.exitCode).toBe(EXIT.error);
    expect(outcome.error?.message).toContain('stages check -> retry-check -> check form a loop that runs no task');
    expect(outcome.error?.message).toContain('$.stages[2].rules[0].next');
  });

  it('manifest refuses it too and writes no file', async () => {
    const output = join(session.dir, 'manifest.yaml');
    const outcome = await session.result('manifest', file, '-o', output);
    expect(outcome.exitCode).toBe(EXIT.error);
    expect(outcome.error?.message).toContain('form a loop that runs no task');
    expect(existsSync(output)).toBe(false);
  });
});
