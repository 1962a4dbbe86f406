/**
 * Option values the commands refuse (lib/cli/options.ts): commander reports the option, the value
 * given and what was expected, and exits 1; the command's action never runs.
 */
import { Command, CommanderError } from 'commander';
import { register as registerDeploy } from '../../../lib/cli/commands/deploy';
import { register as registerEngine } from '../../../lib/cli/commands/engine';
import { register as registerLocal } from '../../../lib/cli/commands/local';
import { register as registerSweep } from '../../../lib/cli/commands/sweep';
import { niceLevel, nonNegativeInteger, portNumber, positiveInteger, positiveIntegerFromEnv } from '../../../lib/cli/options';
import { hasErrorCode } from '../../../lib/errors';

/** Parses `args` as the CLI would, with exits turned into errors; resolves with the refusal. */
async function refusal(register: (program: Command) => void, args: string[]): Promise<{ error: CommanderError; printed: string }> {
  let printed = '';
  // Set before registering: commands inherit these settings when they are created.
  const program = new Command('whiskflow').exitOverride().configureOutput({ writeErr: (text) => { printed += text; } });
  register(program);
  const thrown = await program.parseAsync(['node', 'whiskflow', ...args]).then(() => undefined, (error: unknown) => error);
  if (!(thrown instanceof CommanderError)) throw new Error(`expected commander to refuse ${args.join(' ')}, got ${String(thrown)}`);
  return { error: thrown, printed };
}

/** The commands whose options use these parsers, by name. */
const COMMANDS: Record<string, (program: Command) => void> = { deploy: registerDeploy, engine: registerEngine, local: registerLocal, sweep: registerSweep };

describe('refused option values', () => {
  it.each([
    ['deploy wf.yaml --concurrency 0', "option '--concurrency <n>' argument '0' is invalid. expected a positive integer"],
    ['deploy wf.yaml --memory 1.5', "option '--memory <MB>' argument '1.5' is invalid. expected a positive integer"],
    ['deploy wf.yaml --model batch', "option '--model <model>' argument 'batch' is invalid. Allowed choices are native, streaming."],
    ['engine --stream memory:// --activation-poll-ms soon', "option '--activation-poll-ms <ms>' argument 'soon' is invalid. expected a positive integer"],
    ['sweep --stale-after -1', "option '--stale-after <ms>' argument '-1' is invalid. expected a whole number (0 or more)"],
    ['sweep --start-limit all', "option '--start-limit <n>' argument 'all' is invalid. expected a whole number (0 or more)"],
    ['local --port 65536', "option '--port <port>' argument '65536' is invalid. expected a port number 0..65535"],
    ['local --couch-port abc', "option '--couch-port <port>' argument 'abc' is invalid. expected a port number 0..65535"],
    ['local --container-nice 20', "option '--container-nice <n>' argument '20' is invalid. expected an integer 0..19"],
    ['local --user-memory 0', "option '--user-memory <mb>' argument '0' is invalid. expected a positive integer"],
  ])('`whiskflow %s` is refused, naming the option and the value', async (commandLine, message) => {
    const args = commandLine.split(' ');
    const { error, printed } = await refusal(COMMANDS[args[0]!]!, args);
    expect(error).toMatchObject({ code: 'commander.invalidArgument', exitCode: 1, message: `error: ${message}` });
    expect(printed).toContain(`error: ${message}`);
  });
});

describe('option value parsers', () => {
  it.each([
    ['positiveInteger', positiveInteger, ['1', '8', '1e3'], ['0', '-1', '1.5', 'abc', '', '12abc']],
    ['nonNegativeInteger', nonNegativeInteger, ['0', '120000'], ['-1', '0.5', 'abc']],
    ['portNumber', portNumber, ['0', '3233', '65535'], ['-1', '65536', '80.5', 'http']],
    ['niceLevel', niceLevel, ['0', '1', '10', '19'], ['20', '-5', '1.5', 'low']],
  ])('%s accepts and refuses what it says', (_name, parse, accepted, refused) => {
    for (const value of accepted) expect(parse(value)).toBe(Number(value));
    for (const value of refused) expect(() => parse(value)).toThrow(expect.objectContaining({ code: 'commander.invalidArgument' }));
  });
});

describe('positiveIntegerFromEnv', () => {
  it('is no default when the variable is unset or blank, and the number otherwise', () => {
    expect(positiveIntegerFromEnv('WHISKFLOW_TEST_MB', {})).toBeUndefined();
    expect(positiveIntegerFromEnv('WHISKFLOW_TEST_MB', { WHISKFLOW_TEST_MB: '  ' })).toBeUndefined();
    expect(positiveIntegerFromEnv('WHISKFLOW_TEST_MB', { WHISKFLOW_TEST_MB: '2048' })).toBe(2048);
  });

  it('refuses a bad value, naming the variable and the value', () => {
    let thrown: unknown;
    try {
      positiveIntegerFromEnv('WHISKFLOW_TEST_MB', { WHISKFLOW_TEST_MB: 'lots' });
    } catch (error) {
      thrown = error;
    }
    expect(hasErrorCode(thrown, 'INVALID_INPUT')).toBe(true);
    expect(thrown).toMatchObject({ message: "WHISKFLOW_TEST_MB must be a positive integer, not 'lots'", details: { variable: 'WHISKFLOW_TEST_MB', value: 'lots' } });
  });
});

describe('the environment defaults of `whiskflow local`', () => {
  it('are read when `local` runs, so a bad one does not stop the other commands', async () => {
    const saved = process.env.WHISKFLOW_LOCAL_USER_MEMORY_MB;
    process.env.WHISKFLOW_LOCAL_USER_MEMORY_MB = 'lots';
    try {
      const program = new Command('whiskflow').exitOverride();
      registerLocal(program);
      registerSweep(program);
      // A refusal of sweep's own option shows the program was built and parsed past registration.
      const thrown = await program.parseAsync(['node', 'whiskflow', 'sweep', '--stale-after', 'x']).then(() => undefined, (error: unknown) => error);
      expect(thrown).toMatchObject({ code: 'commander.invalidArgument' });
    } finally {
      if (saved === undefined) delete process.env.WHISKFLOW_LOCAL_USER_MEMORY_MB;
      else process.env.WHISKFLOW_LOCAL_USER_MEMORY_MB = saved;
    }
  });
});
