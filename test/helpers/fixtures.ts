/**
 * The test kit's one fixture loader: the workflow fixtures of the unit tests (test/fixtures/workflows,
 * `<name>.yaml` and `<name>.input.json`) and the examples the tests run (examples/<dir>/workflow.yaml
 * and their JSON files), read and parsed the one way the CLI reads them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../../lib/model/json';
import { parseWorkflow } from '../../lib/model/parse';
import type { Workflow } from '../../lib/model/workflow';

export const FIXTURES_DIR = join(__dirname, '../fixtures/workflows');
export const EXAMPLES_DIR = join(__dirname, '../../examples');

/** The YAML text of test/fixtures/workflows/<name>.yaml. */
export function fixtureSource(name: string): string {
  return readFileSync(join(FIXTURES_DIR, `${name}.yaml`), 'utf8');
}

export function fixtureWorkflow(name: string): Workflow {
  return parseWorkflow(fixtureSource(name));
}

/** test/fixtures/workflows/<name>.input.json. */
export function fixtureInput(name: string): Json {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, `${name}.input.json`), 'utf8')) as Json;
}

/** The YAML text of examples/<dir>/workflow.yaml. */
export function exampleSource(dir: string): string {
  return readFileSync(join(EXAMPLES_DIR, dir, 'workflow.yaml'), 'utf8');
}

export function exampleWorkflow(dir: string): Workflow {
  return parseWorkflow(exampleSource(dir));
}

/** A JSON file of examples/, e.g. `map-reduce/input.json`. */
export function exampleJson(path: string): Json {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, path), 'utf8')) as Json;
}
