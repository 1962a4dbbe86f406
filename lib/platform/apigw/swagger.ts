/**
 * API definitions as OpenWhisk's route management keeps them: one Swagger 2.0 document per base path
 * and namespace, each operation naming its web action under `x-openwhisk`. Pure functions over that
 * document, after core/routemgmt/common/apigw-utils.js (generateBaseSwaggerApi,
 * addEndpointToSwaggerApi, removeEndpointFromSwaggerApi, validateFinalSwagger), plus route matching.
 */

export const VERBS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
export const RESPONSE_TYPES = ['json', 'http', 'html', 'text', 'svg'];

export interface XOpenWhisk { namespace: string; package: string; action: string; url: string }
export interface SwaggerOperation { operationId: string; parameters?: unknown[]; responses?: unknown; 'x-openwhisk'?: XOpenWhisk }
export interface SwaggerApi {
  swagger: string;
  info: { title: string; version?: string };
  basePath: string;
  paths: Record<string, Record<string, SwaggerOperation | unknown>>;
  [extension: string]: unknown;
}

/** The `apidoc.action` the clients send. */
export interface EndpointAction { name: string; namespace: string; backendUrl?: string; backendMethod?: string; authkey?: string; secureKey?: unknown }
export interface Endpoint { gatewayPath: string; gatewayMethod: string; action: EndpointAction; pathParameters?: unknown[] }

export class ApiDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiDefinitionError';
  }
}

export function baseSwaggerApi(basePath: string, apiName?: string): SwaggerApi {
  return {
    swagger: '2.0',
    info: { title: apiName || basePath, version: '1.0.0' },
    basePath,
    paths: {},
    'x-ibm-configuration': { assembly: {}, cors: { enabled: true } },
  };
}

/** `/ns/pkg/action`, `pkg/action` or `action` into its parts (apigw-utils parseActionName). */
export function splitActionName(fqName: string): { namespace?: string; pkg: string; action: string } {
  const parts = fqName.replace(/^\//, '').split('/');
  if (fqName.startsWith('/') && parts.length === 3) return { namespace: parts[0]!, pkg: parts[1]!, action: parts[2]! };
  if (fqName.startsWith('/') && parts.length === 2) return { namespace: parts[0]!, pkg: '', action: parts[1]! };
  if (parts.length === 2) return { pkg: parts[0]!, action: parts[1]! };
  return { pkg: '', action: parts[parts.length - 1]! };
}

export function operationIdOf(operation: string, relPath: string): string {
  return `${operation.toLowerCase()}${relPath}`;
}

/** Adds (or replaces) one path and operation; the web action URL takes the requested response type. */
export function addEndpoint(api: SwaggerApi, endpoint: Endpoint, apiHost: string, responseType = 'json'): SwaggerApi {
  if (!RESPONSE_TYPES.includes(responseType)) {
    throw new ApiDefinitionError(`Invalid response type '${responseType}'. Valid values are: ${RESPONSE_TYPES.join(', ')}`);
  }
  const operation = endpoint.gatewayMethod.toLowerCase();
  if (!(VERBS as readonly string[]).includes(operation)) throw new ApiDefinitionError(`'${endpoint.gatewayMethod}' is not a valid API verb.`);
  const { pkg, action } = splitActionName(endpoint.action.name);
  const next: SwaggerApi = structuredClone(api);
  next.paths[endpoint.gatewayPath] ??= {};
  next.paths[endpoint.gatewayPath]![operation] = {
    operationId: operationIdOf(operation, endpoint.gatewayPath),
    ...(endpoint.pathParameters ? { parameters: endpoint.pathParameters } : {}),
    'x-openwhisk': {
      url: `${apiHost}/api/v1/web/${endpoint.action.namespace}/${pkg || 'default'}/${action}.${responseType}`,
      namespace: endpoint.action.namespace,
      package: pkg,
      action,
    },
    responses: { default: { description: 'Default response' } },
  };
  return next;
}

/** Removes a path (all operations) or one operation; a path left empty goes too. */
export function removeEndpoint(api: SwaggerApi, relPath: string, operation?: string): SwaggerApi {
  const next: SwaggerApi = structuredClone(api);
  const path = next.paths[relPath];
  if (!operation) {
    if (!path) throw new ApiDefinitionError(`path '${relPath}' does not exist in the API`);
    delete next.paths[relPath];
    return next;
  }
  const op = operation.toLowerCase();
  if (!path || path[op] === undefined) throw new ApiDefinitionError(`path '${relPath}' with operation '${op}' does not exist in the API`);
  delete path[op];
  if (Object.keys(path).length === 0) delete next.paths[relPath];
  return next;
}

const PATH_PARAMETER = /\{([^/]+)\}/g;
const HAS_PATH_PARAMETER = /\{[^/]+\}/;
const UNSUPPORTED_FEATURES: [string, string][] = [
  ['securityDefinitions', 'API keys and OAuth (securityDefinitions)'],
  ['security', 'API keys and OAuth (security)'],
  ['x-ibm-rate-limit', 'rate limiting (x-ibm-rate-limit)'],
];

/** Checks a definition before it is stored: its shape, path parameters, and no gateway feature the local platform lacks. */
export function validateSwagger(value: unknown): SwaggerApi {
  if (typeof value !== 'object' || value === null) throw new ApiDefinitionError('swagger must be a JSON object');
  const api = value as SwaggerApi;
  if (typeof api.basePath !== 'string' || !api.basePath.startsWith('/') || typeof api.paths !== 'object' || api.paths === null || !api.info) {
    throw new ApiDefinitionError('Swagger file is invalid (missing basePath, info, paths, or swagger fields)');
  }
  if (HAS_PATH_PARAMETER.test(api.basePath)) {
    throw new ApiDefinitionError(`The base path (${api.basePath}) cannot have parameters. Only the relative path supports path parameters.`);
  }
  for (const [field, what] of UNSUPPORTED_FEATURES) {
    if (api[field] !== undefined && !(Array.isArray(api[field]) && (api[field] as unknown[]).length === 0)) {
      throw new ApiDefinitionError(`${what} is not supported by the local platform's API gateway: remove '${field}' from the API definition`);
    }
  }
  for (const [relPath, operations] of Object.entries(api.paths)) {
    if (!relPath.startsWith('/')) throw new ApiDefinitionError(`'${relPath}' must begin with '/'.`);
    const names = [...relPath.matchAll(PATH_PARAMETER)].map((match) => match[1]!);
    for (const [verb, operation] of Object.entries(operations)) {
      if (verb === 'parameters') continue;
      const xow = (operation as SwaggerOperation)['x-openwhisk'];
      if (!xow || !xow.namespace || !xow.action || !xow.url) {
        throw new ApiDefinitionError(`Operation '${verb} ${relPath}' has no x-openwhisk action: the local platform routes only to web actions`);
      }
      if (names.length > 0 && !xow.url.endsWith('.http')) {
        throw new ApiDefinitionError("The action must use a response type of '.http' in order to receive the path parameters.");
      }
    }
  }
  return api;
}

/** The operation of an API that answers `method` on `relPath` (`/books/{isbn}` matches `/books/42`). */
export function matchOperation(api: SwaggerApi, method: string, relPath: string): XOpenWhisk | undefined {
  const verb = method.toLowerCase();
  const candidates = Object.keys(api.paths).sort((a, b) => templateRank(a) - templateRank(b));
  for (const template of candidates) {
    if (!pathMatches(template, relPath)) continue;
    const operation = api.paths[template]![verb] as SwaggerOperation | undefined;
    if (operation?.['x-openwhisk']) return operation['x-openwhisk'];
  }
  return undefined;
}

/** Whether some path of the API matches `relPath`, whatever the verb. */
export function pathExists(api: SwaggerApi, relPath: string): boolean {
  return Object.keys(api.paths).some((template) => pathMatches(template, relPath));
}

/** Literal paths before templated ones. */
function templateRank(template: string): number {
  return (template.match(PATH_PARAMETER) ?? []).length;
}

function pathMatches(template: string, path: string): boolean {
  const wanted = template.split('/');
  const given = path.split('/');
  if (wanted.length !== given.length) return false;
  return wanted.every((segment, index) => /^\{[^/]+\}$/.test(segment) ? (given[index] ?? '') !== '' : segment === given[index]);
}
