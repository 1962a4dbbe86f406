/** `whiskflow manifest <workflow>`: writes a wskdeploy manifest that deploys the same entities. */
import type { Command } from 'commander';
import { writeFileSync } from 'fs';
import { InvalidInputError } from '../../errors';
import { isJsonObject } from '../../model/json';
import { manifestYaml } from '../../deploy/manifest';
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
    .option('--json', 'print the manifest as JSON (or, with -o, the file written) instead of YAML')
    .action((file: string, flags: { output?: string; bundles: string; cron?: string; cronInput?: string; json?: boolean }) => {
      if (flags.cronInput !== undefined && !flags.cron) throw new InvalidInputError('--cron-input needs --cron', {});
      const cronInput = readInput(flags.cronInput);
      if (!isJsonObject(cronInput)) throw new InvalidInputError('--cron-input must be a JSON object', {});
      const { source } = readWorkflowSource(file);
      const feeds = flags.cron ? { feeds: { cron: flags.cron, cronInput } } : {};
      const text = manifestYaml(source, { bundlesPath: flags.bundles, ...feeds });
      if (flags.output) {
        writeFileSync(flags.output, text);
        if (flags.json) printJson({ file: flags.output });
        else console.log(`ok: wrote ${flags.output}`);
      } else if (flags.json) printJson(parseYaml(text));
      else process.stdout.write(text);
    });
}
