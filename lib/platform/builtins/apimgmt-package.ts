/**
 * The built-in `/whisk.system/apimgmt` package: the web actions `createApi`, `getApi` and `deleteApi`
 * that `wsk api` and the npm client's `routes` call (`/api/v1/web/whisk.system/apimgmt/<name>.http`),
 * served in-process. They keep API definitions in the platform's CouchDB (ApiStore) and answer in the
 * shapes of OpenWhisk's route management actions (core/routemgmt), which the gateway route serves.
 */
import { ensureError } from '../../errors';
import { ActionEntity, PackageEntity, annotationValue } from '../entities';
import { BuiltinHandler } from '../invoker';
import { LOCAL_LIMITS } from '../limits';
import { EntityStore } from '../persistence/entity-store';
import { Identity, SYSTEM_NAMESPACE, SubjectStore } from '../persistence/subject-store';
import { Resolver } from '../resolver';
import { ApiStore, StoredApi } from '../apigw/api-store';
import { ApiDefinitionError, Endpoint, SwaggerApi, addEndpoint, baseSwaggerApi, removeEndpoint, splitActionName, validateSwagger } from '../apigw/swagger';

export interface ApiMgmtDeps {
  entities: EntityStore;
  subjects: SubjectStore;
  resolver: Resolver;
  builtins: Map<string, BuiltinHandler>;
  apis: ApiStore;
  apiHost: () => string;
}

const ACTIONS: Record<string, string> = {
  createApi: 'Create an API',
  getApi: 'Retrieve the specified API configuration (in JSON format)',
  deleteApi: 'Delete the API',
};

/** The URL a stored API answers under: the gateway's `/api/<tenant>/<basepath>`. */
export function managedUrlOf(apiHost: string, api: StoredApi): string {
  return `${apiHost}/api/${api.tenant}${api.swagger.basePath === '/' ? '' : api.swagger.basePath}`;
}

/** The CLI's view of an API (apigw-utils generateCliApiFromGwApi). */
function cliApi(apiHost: string, api: StoredApi) {
  return {
    id: 'Not Used', key: 'Not Used',
    value: { namespace: 'Not Used', gwApiActivated: true, tenantId: 'Not Used', gwApiUrl: managedUrlOf(apiHost, api), apidoc: api.swagger },
  };
}

const webResponse = (body: unknown) => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body });
const webError = (message: string) => ({ error: { statusCode: 502, headers: { 'Content-Type': 'application/json' }, body: { error: message } } });

export function installApiMgmtPackage(deps: ApiMgmtDeps): void {
  const now = Date.now();
  const pkg: PackageEntity = {
    namespace: SYSTEM_NAMESPACE, name: 'apimgmt', version: '0.0.1', publish: false, updated: now,
    annotations: [{ key: 'description', value: 'This package manages the gateway API configuration.' }],
    parameters: [],
  };
  deps.entities.putBuiltin(`${SYSTEM_NAMESPACE}/apimgmt`, { type: 'package', doc: pkg });
  const handlers: Record<string, (params: Record<string, unknown>, user: Identity) => Promise<unknown>> = {
    createApi: (params, user) => createApi(deps, params, user),
    getApi: async (params, user) => getApi(deps, params, user),
    deleteApi: (params, user) => deleteApi(deps, params, user),
  };
  const failurePrefix: Record<string, string> = { createApi: 'API creation failure: ', getApi: 'API GW failure: ', deleteApi: 'API deletion failure: ' };
  for (const [name, description] of Object.entries(ACTIONS)) {
    const action: ActionEntity = {
      namespace: `${SYSTEM_NAMESPACE}/apimgmt`, name, version: '0.0.1', publish: false, updated: now,
      annotations: [
        { key: 'description', value: description }, { key: 'web-export', value: true }, { key: 'final', value: true }, { key: 'exec', value: 'nodejs:20' },
      ],
      parameters: [],
      exec: { kind: 'nodejs:20', code: '// served in-process by the whiskflow local platform', binary: false },
      limits: { timeout: LOCAL_LIMITS.action.timeout.std, memory: LOCAL_LIMITS.action.memory.std, logs: LOCAL_LIMITS.action.logs.std, concurrency: 1 },
    };
    deps.entities.putBuiltin(`${SYSTEM_NAMESPACE}/apimgmt/${name}`, { type: 'action', doc: action });
    deps.builtins.set(`/${SYSTEM_NAMESPACE}/apimgmt/${name}`, async (params) => {
      // The controller sets __ow_user only for callers with valid credentials.
      const user = typeof params.__ow_user === 'string' ? deps.subjects.findNamespace(params.__ow_user) : undefined;
      if (!user) return webError('A valid auth key is required.');
      try {
        return webResponse(await handlers[name]!(params, user));
      } catch (error) {
        return webError(`${failurePrefix[name]}${ensureError(error).message}`);
      }
    });
  }
}

function objectOf(value: unknown, what: string): Record<string, unknown> {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      throw new ApiDefinitionError(`${what} field cannot be parsed. Ensure it is valid JSON.`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiDefinitionError(`${what} is required.`);
  return parsed as Record<string, unknown>;
}

/** Routes go to web actions only: the action must exist in the caller's reach and be web-exported. */
function requireWebAction(deps: ApiMgmtDeps, user: Identity, namespace: string, pkg: string, action: string): void {
  const fqn = `/${namespace}/${pkg ? `${pkg}/` : ''}${action}`;
  let entity: ActionEntity;
  try {
    entity = deps.resolver.resolveAction(user, { namespace, ...(pkg ? { pkg } : {}), name: action }).action;
  } catch {
    throw new ApiDefinitionError(`Unable to get action '${fqn}': The requested resource does not exist.`);
  }
  if (annotationValue(entity.annotations, 'web-export') !== true) {
    throw new ApiDefinitionError(`Action '${fqn}' is not a web action. Issue 'wsk action update "${fqn}" --web true' to convert the action to a web action.`);
  }
}

async function createApi(deps: ApiMgmtDeps, params: Record<string, unknown>, user: Identity) {
  if (params.apidoc === undefined) throw new ApiDefinitionError('apidoc is required.');
  const doc = objectOf(params.apidoc, 'apidoc');
  const apiHost = deps.apiHost();
  let swagger: SwaggerApi;
  if (doc.swagger !== undefined) {
    swagger = validateSwagger(objectOf(doc.swagger, 'swagger'));
  } else {
    const endpoint = endpointOf(doc, user);
    const basePath = typeof doc.gatewayBasePath === 'string' ? doc.gatewayBasePath : '/';
    if (!basePath.startsWith('/')) throw new ApiDefinitionError(`'${basePath}' must begin with '/'.`);
    const existing = deps.apis.get(user.uuid, basePath)?.swagger ?? baseSwaggerApi(basePath, typeof doc.apiName === 'string' ? doc.apiName : undefined);
    const responseType = typeof params.responsetype === 'string' && params.responsetype !== '' ? params.responsetype : 'json';
    swagger = validateSwagger(addEndpoint(existing, endpoint, apiHost, responseType));
  }
  for (const operations of Object.values(swagger.paths)) {
    for (const [verb, operation] of Object.entries(operations)) {
      if (verb === 'parameters') continue;
      const xow = (operation as { 'x-openwhisk': { namespace: string; package: string; action: string } })['x-openwhisk'];
      if (xow.namespace === '_') xow.namespace = user.namespace;
      requireWebAction(deps, user, xow.namespace, xow.package, xow.action);
    }
  }
  const stored = await deps.apis.put({ tenant: user.uuid, namespace: user.namespace, swagger });
  return cliApi(apiHost, stored).value;
}

function endpointOf(doc: Record<string, unknown>, user: Identity): Endpoint {
  const action = doc.action as Endpoint['action'] | undefined;
  if (typeof doc.gatewayPath !== 'string' || typeof doc.gatewayMethod !== 'string' || !action || typeof action.name !== 'string') {
    throw new ApiDefinitionError('apidoc is missing gatewayPath, gatewayMethod or action (or give a swagger document)');
  }
  if (!doc.gatewayPath.startsWith('/')) throw new ApiDefinitionError(`'${doc.gatewayPath}' must begin with '/'.`);
  // As apigw-utils updateNamespace: the default namespace `_` is the caller's.
  const named = splitActionName(action.name);
  const namespace = !action.namespace || action.namespace === '_' ? named.namespace ?? user.namespace : action.namespace;
  const name = named.pkg ? `${named.pkg}/${named.action}` : named.action;
  return { gatewayPath: doc.gatewayPath, gatewayMethod: doc.gatewayMethod, action: { ...action, name, namespace }, ...(Array.isArray(doc.pathParameters) ? { pathParameters: doc.pathParameters } : {}) };
}

function getApi(deps: ApiMgmtDeps, params: Record<string, unknown>, user: Identity) {
  const basePath = typeof params.basepath === 'string' && params.basepath !== '' ? params.basepath : undefined;
  const skip = Number(params.skip ?? 0) || 0;
  const limit = Number(params.limit ?? 0) || undefined;
  const apis = deps.apis.list(user.uuid, basePath).slice(skip, limit === undefined ? undefined : skip + limit);
  return { apis: apis.map((api) => cliApi(deps.apiHost(), api)) };
}

async function deleteApi(deps: ApiMgmtDeps, params: Record<string, unknown>, user: Identity) {
  if (typeof params.basepath !== 'string' || params.basepath === '') throw new ApiDefinitionError('basepath is required.');
  const [api] = deps.apis.list(user.uuid, params.basepath);
  if (!api) throw new ApiDefinitionError(`API '${params.basepath}' does not exist.`);
  const relPath = typeof params.relpath === 'string' && params.relpath !== '' ? params.relpath : undefined;
  if (!relPath) {
    await deps.apis.remove(user.uuid, api.swagger.basePath);
    return {};
  }
  const operation = typeof params.operation === 'string' && params.operation !== '' ? params.operation : undefined;
  const swagger = removeEndpoint(api.swagger, relPath, operation);
  if (Object.keys(swagger.paths).length === 0) await deps.apis.remove(user.uuid, api.swagger.basePath);
  else await deps.apis.put({ ...api, swagger });
  return {};
}
