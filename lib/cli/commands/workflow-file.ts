/** Reads a workflow given on the command line as a file path (YAML/JSON). Not a command itself. */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { InvalidInputError } from '../../errors';
import { parseWorkflow, parseWorkflowSource } from '../../model/parse';
import type { Workflow } from '../../model/workflow';
import type { Json } from '../../model/json';

/** `examples/map-reduce`, `examples/map-reduce/workflow.yaml` or any .yaml/.json file. */
export function readWorkflow(pathOrDir: string): Workflow {
  return parseWorkflow(readWorkflowText(pathOrDir));
}

/** The workflow and its document as written (for a manifest, which hands the definition on as data). */
export function readWorkflowSource(pathOrDir: string): { workflow: Workflow; source: Json } {
  return parseWorkflowSource(readWorkflowText(pathOrDir));
}

function readWorkflowText(pathOrDir: string): string {
  const file = existsSync(join(pathOrDir, 'workflow.yaml')) ? join(pathOrDir, 'workflow.yaml') : pathOrDir;
  if (!existsSync(file)) throw new InvalidInputError(`workflow file '${pathOrDir}' not found`, { path: pathOrDir });
  return readFileSync(file, 'utf8');
}

/** A workflow name as given, or the name inside a workflow file when a path was given. */
export function workflowName(nameOrPath: string): string {
  return existsSync(nameOrPath) ? readWorkflow(nameOrPath).name : nameOrPath;
}

/** `--input` as inline JSON or as the path of a JSON file. */
export function readInput(value: string | undefined): Json {
  if (value === undefined) return {};
  const text = existsSync(value) ? readFileSync(value, 'utf8') : value;
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new InvalidInputError(`--input is neither a JSON file nor JSON text: ${value.slice(0, 60)}`, {});
  }
}
