/** `whiskflow engine`: flag parsing and the trigger file format (the command's run loop is covered end to end elsewhere). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { readTriggers, register } from '../../../lib/cli/commands/engine';
import { startEnginesOnStream } from '../../../lib/cli/engines';

jest.mock('../../../lib/cli/engines', () => ({ startEnginesOnStream: jest.fn(async () => { throw new Error('engines started'); }) }));

describe('whiskflow engine', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'whiskflow-engine-cmd-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('registers `engine` with a required --stream', async () => {
    const program = new Command('whiskflow').exitOverride();
    register(program);
    const engine = program.commands.find((command) => command.name() === 'engine');
    expect(engine?.options.map((option) => option.long)).toEqual(expect.arrayContaining(['--stream', '--workflow', '--triggers', '--run', '--self-reporting']));
    engine?.exitOverride().configureOutput({ writeErr: () => {} });
    await expect(program.parseAsync(['node', 'whiskflow', 'engine'])).rejects.toMatchObject({ code: 'commander.missingMandatoryOptionValue' });
  });

  it('refuses a --run without exactly one --workflow before the engines start taking work', async () => {
    const program = new Command('whiskflow').exitOverride();
    register(program);
    await expect(program.parseAsync(['node', 'whiskflow', 'engine', '--stream', 'memory://', '--store', 'memory', '--run', '{}']))
      .rejects.toMatchObject({ code: 'INVALID_INPUT', message: '--run needs exactly one --workflow' });
    expect(startEnginesOnStream).not.toHaveBeenCalled();
  });

  it('reads a trigger file', () => {
    const file = join(dir, 'triggers.yaml');
    writeFileSync(file, `
- id: preview
  workflow: mapreduce
  stageIds: [sum]
  condition: { kind: threshold, k: 3, of: 5 }
  action: { action: preview }
`);
    expect(readTriggers(file)).toEqual([
      { id: 'preview', workflow: 'mapreduce', stageIds: ['sum'], condition: { kind: 'threshold', k: 3, of: 5 }, action: { action: 'preview' } },
    ]);
  });

  it.each([
    ['not a list', 'id: x'],
    ['a bad id', '- { id: "a b", workflow: w, condition: { kind: join, expected: 1 }, action: { action: x } }'],
    ['an unknown condition', '- { id: a, workflow: w, condition: { kind: sometimes }, action: { action: x } }'],
    ['no action', '- { id: a, workflow: w, condition: { kind: join, expected: 1 } }'],
  ])('rejects a trigger file with %s, naming the file', (_what, text) => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, text);
    expect(() => readTriggers(file)).toThrow(file);
  });
});
