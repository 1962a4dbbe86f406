/**
 * The `whiskflow` command line: a thin registry of commands. Each command lives in
 * `lib/cli/commands/<verb>.ts` and exports `register(program)`; it parses flags, calls `lib/`, prints.
 */
import { Command } from 'commander';
import { WORKFLOW_COMMANDS } from './commands';
import { register as registerEngine } from './commands/engine';
import { register as registerLocal } from './commands/local';

/** Every command of the CLI: the local platform, the workflow commands (lib/cli/commands/index.ts), the streaming engine. */
const COMMANDS: ((program: Command) => void)[] = [registerLocal, ...WORKFLOW_COMMANDS, registerEngine];

export function createProgram(): Command {
  const program = new Command('whiskflow')
    .description('Event-driven orchestration of serverless functions on Apache OpenWhisk')
    .showHelpAfterError();
  for (const registerCommand of COMMANDS) registerCommand(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  await createProgram().parseAsync(argv);
}
