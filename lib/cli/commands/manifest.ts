/** `whiskflow manifest <workflow>`: writes a wskdeploy manifest that deploys the same entities. */
import type { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { newEventKey } from '../../events/event-seal';
import { InvalidInputError } from '../../errors';
import { isJsonObject } from '../../model/json';
import { EVENT_KEY_ENV, manifestYaml } from '../../deploy/manifest';
import { parse as parseYaml } from 'yaml';
import { printJson } from '../output';
import { readInput, readWorkflowSource } from './workflow-file';

export function register(program: Command): void {
  program
    .command('manifest <workflow>')
    .description('write a wskdeploy manifest deploying the orchestrator and this workflow\'s trigger and rule')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--bundles <path>', 'path of the action bundles relative to the manifest', 'dist/actions')
    .option('--cron <expression>', 'also start runs on this schedule')
    .option('--cron-input <json|file>', 'input of the runs the schedule starts (JSON object)')
    .option('--event-key-file <file>', `the deployment's event key (created, mode 0600, when missing); default: $${EVENT_KEY_ENV}`)
    .option('--json', 'print the manifest as JSON (or, with -o, the file written) instead of YAML')
    .action((file: string, flags: { output?: string; bundles: string; cron?: string; cronInput?: string; eventKeyFile?: string; json?: boolean }) => {
      if (flags.cronInput !== undefined && !flags.cron) throw new InvalidInputError('--cron-input needs --cron', {});
      const cronInput = readInput(flags.cronInput);
      if (!isJsonObject(cronInput)) throw new InvalidInputError('--cron-input must be a JSON object', {});
      const { source } = readWorkflowSource(file);
      const feeds = flags.cron ? { feeds: { cron: flags.cron, cronInput } } : {};
      const text = manifestYaml(source, { bundlesPath: flags.bundles, eventKey: eventKeyOf(flags.eventKeyFile), ...feeds });
      if (flags.output) {
        writeFileSync(flags.output, text);
        if (flags.json) printJson({ file: flags.output });
        else console.log(`ok: wrote ${flags.output}`);
      } else if (flags.json) printJson(parseYaml(text));
      else process.stdout.write(text);
    });
}

/**
 * The key the manifest's trigger is sealed with; wskdeploy must then run with the same key in
 * $WHISKFLOW_EVENT_KEY (the manifest refers to it, so it holds no secret itself).
 */
function eventKeyOf(file: string | undefined): string {
  if (file !== undefined) {
    if (!existsSync(file)) writeFileSync(file, `${newEventKey()}\n`, { mode: 0o600, flag: 'wx' });
    const key = readFileSync(file, 'utf8').trim();
    if (key === '') throw new InvalidInputError(`the event key file ${file} is empty`, { file });
    return key;
  }
  const key = process.env[EVENT_KEY_ENV];
  if (!key) {
    throw new InvalidInputError(`no event key: set ${EVENT_KEY_ENV} or pass --event-key-file <file> (created with a new key when missing), and deploy with the same key in ${EVENT_KEY_ENV}`, {});
  }
  return key;
}
