/**
 * `/namespaces/{ns}/packages/{name}`: packages and package bindings.
 */
import { badRequest, conflict, forbidden, notFound } from '../api-error';
import { Entity, PackageEntity, buildPackage, nextVersion, requireObjectBody } from '../entities';
import { Messages } from '../messages';
import { QualifiedName, checkEntityName, pathOf } from '../names';
import { ApiRequest, ApiResponse, ApiServices, flag, page, paging } from './context';
import { newestFirst, packageSummary, packageView } from './views';

export async function handlePackages(request: ApiRequest, services: ApiServices): Promise<ApiResponse> {
  if (request.rest.length === 0) {
    if (request.method !== 'GET') throw notFound();
    return listPackages(request, services);
  }
  if (request.rest.length !== 1) throw notFound();
  const qualified: QualifiedName = { namespace: request.namespace, name: checkEntityName(request.rest[0]!) };
  switch (request.method) {
    case 'PUT': return putPackage(request, services, qualified);
    case 'GET': return getPackage(request, services, qualified);
    case 'DELETE': return deletePackage(request, services, qualified);
    default: throw notFound();
  }
}

function listPackages(request: ApiRequest, services: ApiServices): ApiResponse {
  const pageOf = paging(request.query, 'packages');
  const own = request.namespace === request.caller.namespace;
  // In another namespace only published packages are visible (e.g. `wsk package list /whisk.system`).
  const packages = services.entities.list('package', `${request.namespace}/`)
    .map((entity) => entity.doc as PackageEntity)
    .filter((pkg) => pkg.namespace === request.namespace && (own || pkg.publish));
  if (pageOf.count) return { status: 200, body: { packages: packages.length } };
  return { status: 200, body: page(newestFirst(packages), pageOf).map(packageSummary) };
}

async function putPackage(request: ApiRequest, services: ApiServices, qualified: QualifiedName): Promise<ApiResponse> {
  services.resolver.requireOwner(request.caller, qualified.namespace);
  const body = requireObjectBody(request.body);
  const overwrite = flag(request.query, 'overwrite');
  const id = pathOf(qualified);
  const existing = services.entities.get(id);
  const candidate = buildPackage(body, qualified, existing?.type === 'package' && overwrite ? existing.doc : undefined, services.buildOptions());
  if (candidate.binding) {
    const namespace = candidate.binding.namespace === '_' ? request.caller.namespace : candidate.binding.namespace;
    candidate.binding = { namespace, name: candidate.binding.name };
    const provider = services.entities.get(`${namespace}/${candidate.binding.name}`);
    if (!provider) throw badRequest(Messages.bindingDoesNotExist, { binding: candidate.binding });
    if (provider.type !== 'package') throw badRequest(Messages.requestedBindingIsNotValid, { binding: candidate.binding });
    if (provider.doc.binding) throw badRequest(Messages.bindingCannotReferenceBinding, { binding: candidate.binding });
    if (namespace !== request.caller.namespace && !provider.doc.publish) throw forbidden(`${namespace}/${candidate.binding.name}`);
  }
  const saved = await services.entities.update(id, (current) => {
    if (current && current.type !== 'package') throw conflict(Messages.conformanceMessage, { id });
    if (current && !overwrite) throw conflict(Messages.entityExists, { id });
    const entity: PackageEntity = current ? { ...candidate, version: nextVersion(current.doc.version) } : candidate;
    return { entity: { type: 'package', doc: entity } as Entity, result: entity };
  });
  return { status: 200, body: packageView(saved, []) };
}

function getPackage(request: ApiRequest, services: ApiServices, qualified: QualifiedName): ApiResponse {
  const resolved = services.resolver.resolvePackage(request.caller, qualified);
  if (!resolved.provider) return { status: 200, body: packageView(resolved.pkg, services.resolver.packageActions(qualified)) };
  // A binding shows its provider's contents and the provider's parameters under its own.
  const own = new Set(resolved.pkg.parameters.map((parameter) => parameter.key));
  const parameters = [...resolved.provider.pkg.parameters.filter((parameter) => !own.has(parameter.key)), ...resolved.pkg.parameters];
  return { status: 200, body: packageView(resolved.pkg, services.resolver.packageActions(resolved.provider.location), parameters) };
}

async function deletePackage(request: ApiRequest, services: ApiServices, qualified: QualifiedName): Promise<ApiResponse> {
  services.resolver.requireOwner(request.caller, qualified.namespace);
  const id = pathOf(qualified);
  const force = flag(request.query, 'force');
  const contents = services.resolver.packageActions(qualified);
  const current = services.entities.get(id);
  if (current?.type === 'package' && !current.doc.binding && contents.length > 0) {
    if (!force) throw conflict(Messages.packageNotEmpty(contents.length), { id, contents: contents.length });
    for (const action of contents) {
      await services.entities.remove(`${id}/${action.name}`, () => undefined);
      await services.invoker.forget(`/${id}/${action.name}`);
    }
  }
  const removed = await services.entities.remove(id, (entity) => {
    if (!entity) throw notFound(id);
    if (entity.type !== 'package') throw conflict(Messages.conformanceMessage, { id });
    return entity.doc;
  });
  return { status: 200, body: packageView(removed, []) };
}
