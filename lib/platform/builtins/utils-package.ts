/**
 * The built-in `/whisk.system/utils` package, as apache/openwhisk-catalog `packages/utils` deploys it
 * (its manifest.yaml: same actions, versions, descriptions, parameter annotations and samples). The
 * actions are plain Node.js code (lib/platform/builtins/utils/*.js) that the action runtime runs like
 * any user action, so their activations, logs and `__OW_*` environment are the real ones.
 *
 * Like the alarms package, the entities are recreated in memory at every start and never written to
 * CouchDB: a restart cannot duplicate or lose them, and only the whisk.system key could change them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ServiceMissingError } from '../../errors';
import { ActionEntity, DEFAULT_NODEJS_KIND, KeyValue, PackageEntity } from '../entities';
import { LOCAL_LIMITS } from '../limits';
import { EntityStore } from '../persistence/entity-store';
import { SYSTEM_NAMESPACE } from '../persistence/subject-store';

const PACKAGE = 'utils';
const VERSION = '0.0.1';

interface UtilsAction {
  description: string;
  parameters?: Record<string, unknown>[];
  sampleInput?: Record<string, unknown>;
  sampleOutput: Record<string, unknown>;
}

const lines = (description: string) => ({ name: 'lines', required: true, type: 'array', description });

/** The catalog manifest's annotations, action by action. */
export const UTILS_ACTIONS: Record<string, UtilsAction> = {
  echo: {
    description: 'Returns the input',
    parameters: [{ name: 'payload', required: false, description: 'Any JSON entity' }],
    sampleInput: { payload: 'Five fuzzy felines' },
    sampleOutput: { payload: 'Five fuzzy felines' },
  },
  cat: {
    description: 'Concatenates input into a string',
    parameters: [lines('An array of strings or numbers')],
    sampleInput: { lines: [4, 2, 3] },
    sampleOutput: { lines: [4, 2, 3] },
  },
  smash: {
    description: 'Nests all properties under given property',
    parameters: [{ name: '$fieldName', required: true, type: 'string', description: 'Name of property to nest object under' }],
    sampleInput: { a: 1, b: { c: 2, d: 3 }, $fieldName: 'p' },
    sampleOutput: { p: { a: 1, b: { c: 2, d: 3 } } },
  },
  split: {
    description: 'Split a string into an array',
    parameters: [
      { name: 'payload', required: true, description: 'A string' },
      { name: 'separator', required: false, description: 'The character, or the regular expression, to use for splitting the string' },
    ],
    sampleInput: { payload: 'one,two,three', separator: ',' },
    sampleOutput: { lines: ['one', 'two', 'three'], payload: 'one,two,three' },
  },
  sort: {
    description: 'Sorts an array',
    parameters: [lines('An array of strings')],
    sampleInput: { lines: [4, 2, 3] },
    sampleOutput: { lines: [2, 3, 4], length: 3 },
  },
  head: {
    description: 'Extract prefix of an array',
    parameters: [lines('An array of strings'), { name: 'num', required: false, type: 'integer', description: 'The length of the prefix' }],
    sampleInput: { lines: [4, 2, 3], num: 2 },
    sampleOutput: { lines: [4, 2], num: 2 },
  },
  date: {
    description: 'Current date and time',
    sampleOutput: { date: '2016-03-22T00:59:55.961Z' },
  },
  namespace: {
    description: 'Returns namespace for the authorization key used to invoke this action',
    sampleOutput: { namespace: 'guest' },
  },
  hosturl: {
    description: 'Returns the URL to activate an action or trigger',
    parameters: [
      { name: 'web', type: 'boolean', description: 'True for web actions' },
      { name: 'ext', type: 'string', description: 'Extension for web action, one of .html, .http, .json, .text' },
      { name: 'trigger', type: 'boolean', description: 'True to construct path for trigger instead of action.' },
      { name: 'path', type: 'string', description: 'The action name as just <action name> or <package name>/<action name>.' },
    ],
    sampleInput: { web: true, path: 'utils/echo' },
    sampleOutput: { url: 'https://openwhisk.ng.bluemix.net/api/v1/experimental/web/guest/utils/echo.json' },
  },
};

/**
 * The directory of the actions' sources: beside this file when running from TypeScript sources; from
 * dist/ (which holds only compiled .ts), back in the sources tree.
 */
export function utilsSourceDir(): string {
  const candidates = [
    path.join(__dirname, PACKAGE),
    path.resolve(__dirname, '..', '..', '..', '..', 'lib', 'platform', 'builtins', PACKAGE),
  ];
  const found = candidates.find((candidate) => fs.existsSync(path.join(candidate, 'echo.js')));
  if (found === undefined) {
    throw new ServiceMissingError('the /whisk.system/utils action sources', `looked in ${candidates.join(', ')}`);
  }
  return found;
}

export function installUtilsPackage(entities: EntityStore, now = Date.now()): void {
  const pkg: PackageEntity = {
    namespace: SYSTEM_NAMESPACE, name: PACKAGE, version: VERSION, publish: true, updated: now,
    annotations: [{ key: 'description', value: 'Building blocks that format and assemble data' }],
    parameters: [],
  };
  entities.putBuiltin(`${SYSTEM_NAMESPACE}/${PACKAGE}`, { type: 'package', doc: pkg });
  const dir = utilsSourceDir();
  for (const [name, spec] of Object.entries(UTILS_ACTIONS)) {
    const annotations: KeyValue[] = [{ key: 'description', value: spec.description }];
    if (spec.parameters) annotations.push({ key: 'parameters', value: spec.parameters });
    if (spec.sampleInput) annotations.push({ key: 'sampleInput', value: spec.sampleInput });
    annotations.push({ key: 'sampleOutput', value: spec.sampleOutput }, { key: 'exec', value: DEFAULT_NODEJS_KIND });
    const action: ActionEntity = {
      namespace: `${SYSTEM_NAMESPACE}/${PACKAGE}`, name, version: VERSION, publish: false, updated: now,
      annotations,
      parameters: [],
      exec: { kind: DEFAULT_NODEJS_KIND, code: fs.readFileSync(path.join(dir, `${name}.js`), 'utf8'), binary: false },
      limits: { timeout: LOCAL_LIMITS.action.timeout.std, memory: LOCAL_LIMITS.action.memory.std, logs: LOCAL_LIMITS.action.logs.std, concurrency: 1 },
    };
    entities.putBuiltin(`${SYSTEM_NAMESPACE}/${PACKAGE}/${name}`, { type: 'action', doc: action });
  }
}
