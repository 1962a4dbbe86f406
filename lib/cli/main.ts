/**
 * The `whiskflow` command line: a thin registry of commands. Each command lives in
 * `lib/cli/commands/<verb>.ts` and exports `register(program)`; it parses flags, calls `lib/`, prints.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKFLOW_COMMANDS } from './commands';
import { register as registerEngine } from './commands/engine';
import { register as registerLocal } from './commands/local';
import { EXIT_CODES_HELP } from './exit-codes';

/** Every command of the CLI: the local platform, the workflow commands (lib/cli/commands/index.ts), the streaming engine. */
const COMMANDS: ((program: Command) => void)[] = [registerLocal, ...WORKFLOW_COMMANDS, registerEngine];

export const PLATFORM_HELP = `
Finding the platform (each setting on its own, first found wins):
  1. flags: --apihost, --auth, --namespace, --store
  2. environment (or .env): WHISKFLOW_APIHOST, WHISKFLOW_AUTH, WHISKFLOW_NAMESPACE;
     the store: CLOUDANT_URL (+ CLOUDANT_APIKEY or CLOUDANT_USERNAME/CLOUDANT_PASSWORD), else COUCHDB_URL;
     WHISKFLOW_DB names its database (default whiskflow)
  3. the wsk properties file: $WSK_CONFIG_FILE, else ~/.wskprops (APIHOST, AUTH, NAMESPACE, COUCHDB_URL)
  4. the store only: what \`whiskflow local\` recorded in $WHISKFLOW_DATA_DIR (default .whiskflow)/local-platform.json,
     when it names the same apihost
  5. defaults: apihost http://127.0.0.1:3233 with the local guest key; no store
  \`whiskflow local --write-wskprops\` writes 3. for wsk and whiskflow alike. docs/deploy.md: a real OpenWhisk.`;

/** package.json's version (two directories up from lib/cli, three from dist/lib/cli). */
export function version(): string {
  for (const up of ['../..', '../../..']) {
    try {
      const parsed = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'whiskflow' && parsed.version) return parsed.version;
    } catch {
      // not here: try one level up
    }
  }
  return 'unknown';
}

/** `configure` runs before the commands are added, so that they inherit its settings (tests: `exitOverride`). */
export function createProgram(configure: (program: Command) => void = () => undefined): Command {
  const program = new Command('whiskflow')
    .description('Event-driven orchestration of serverless functions on Apache OpenWhisk')
    .version(version(), '-V, --version', 'print whiskflow\'s version')
    .addHelpText('after', `${PLATFORM_HELP}\n${EXIT_CODES_HELP}`)
    .showHelpAfterError();
  configure(program);
  for (const registerCommand of COMMANDS) registerCommand(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  await createProgram().parseAsync(argv);
}
