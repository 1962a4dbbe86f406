/**
 * `whiskflow engine --json` on an in-memory stream and store: one JSON line when ready (with the
 * run `--run` started), one per finished run, and no text lines on stdout.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../../../lib/cli/commands/engine';
import { until } from '../../helpers/until';

it('prints a ready line and a line per finished run, each JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'whiskflow-engine-json-'));
  const saved = { ...process.env };
  const printed: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => { printed.push(parts.join(' ')); });
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    // Never the real ~/.wskprops or a .whiskflow of the working directory.
    Object.assign(process.env, { WSK_CONFIG_FILE: join(dir, 'wskprops'), WHISKFLOW_DATA_DIR: join(dir, 'data'), WHISKFLOW_LOG_LEVEL: 'silent' });
    const file = join(dir, 'workflow.yaml');
    writeFileSync(file, 'name: json-engine\nstages:\n  - id: done\n    kind: succeed\n');
    const program = new Command('whiskflow').exitOverride();
    register(program);
    const running = program.parseAsync(['node', 'whiskflow', 'engine', '--stream', 'memory://', '--store', 'memory', '--workflow', file, '--run', '{"a":1}', '--json']);
    await until('the ready line and the run\'s end', async () => printed.length >= 2, 30_000);
    process.emit('SIGINT');
    await running;
    const lines = printed.map((line) => JSON.parse(line) as Record<string, unknown>);
    const ready = lines.find((line) => line.ready === true);
    expect(ready).toMatchObject({ stream: 'memory://', workflows: ['json-engine'], startedRun: expect.any(String) });
    expect(lines).toContainEqual(expect.objectContaining({ runId: ready!.startedRun, status: 'succeeded' }));
  } finally {
    log.mockRestore();
    errors.mockRestore();
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
