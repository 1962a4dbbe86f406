/**
 * Finds entities for a caller, with OpenWhisk's entitlement rules: a caller owns its namespace; in
 * another namespace it may only read and invoke what a published package exposes (which is how
 * everyone uses `/whisk.system/...`). Package bindings resolve to their provider package, whose
 * parameters the binding's own parameters override.
 */
import { forbidden, notFound, conflict } from './api-error';
import { ActionEntity, EntityDocs, EntityType, PackageEntity, paramsToObject } from './entities';
import { Messages } from './messages';
import { QualifiedName, fqnOf, pathOf } from './names';
import { EntityStore } from './persistence/entity-store';
import type { Identity } from './persistence/subject-store';

export interface ResolvedAction {
  /** Where the action really lives (a binding resolved to its provider package). */
  location: QualifiedName;
  fqn: string;
  action: ActionEntity;
  /** Package parameters, binding parameters over provider parameters. */
  inherited: Record<string, unknown>;
}

export interface ResolvedPackage {
  location: QualifiedName;
  pkg: PackageEntity;
  /** The provider package when `pkg` is a binding. */
  provider?: { location: QualifiedName; pkg: PackageEntity };
}

export class Resolver {
  constructor(private readonly entities: EntityStore) {}

  /** The entity of `type` at `id`; 404 when absent, 409 when the name belongs to another collection. */
  entityOfType<T extends EntityType>(id: string, type: T): EntityDocs[T] {
    const entity = this.entities.get(id);
    if (!entity) throw notFound(id);
    if (entity.type !== type) throw conflict(Messages.conformanceMessage, { id, type: entity.type });
    return entity.doc as EntityDocs[T];
  }

  resolvePackage(identity: Identity, location: QualifiedName): ResolvedPackage {
    const pkg = this.entityOfType(pathOf(location), 'package');
    if (location.namespace !== identity.namespace && !pkg.publish) throw forbidden(pathOf(location));
    if (!pkg.binding) return { location, pkg };
    const providerLocation = { namespace: pkg.binding.namespace, name: pkg.binding.name };
    const providerEntity = this.entities.get(pathOf(providerLocation));
    if (!providerEntity || providerEntity.type !== 'package') throw notFound(pathOf(providerLocation));
    const provider = providerEntity.doc;
    if (providerLocation.namespace !== identity.namespace && !provider.publish) throw forbidden(pathOf(providerLocation));
    return { location, pkg, provider: { location: providerLocation, pkg: provider } };
  }

  resolveAction(identity: Identity, qualified: QualifiedName): ResolvedAction {
    if (!qualified.pkg) {
      if (qualified.namespace !== identity.namespace) throw forbidden(pathOf(qualified));
      const action = this.entityOfType(pathOf(qualified), 'action');
      return { location: qualified, fqn: fqnOf(qualified), action, inherited: {} };
    }
    const resolved = this.resolvePackage(identity, { namespace: qualified.namespace, name: qualified.pkg });
    const home = resolved.provider ?? resolved;
    const location = { namespace: home.location.namespace, pkg: home.location.name, name: qualified.name };
    const action = this.entityOfType(pathOf(location), 'action');
    const inherited = resolved.provider
      ? { ...paramsToObject(resolved.provider.pkg.parameters), ...paramsToObject(resolved.pkg.parameters) }
      : paramsToObject(resolved.pkg.parameters);
    return { location, fqn: fqnOf(location), action, inherited };
  }

  /** Throws 403 unless the caller owns `namespace`: only owners may change entities. */
  requireOwner(identity: Identity, namespace: string): void {
    if (namespace !== identity.namespace) throw forbidden(namespace);
  }

  packageActions(location: QualifiedName): ActionEntity[] {
    return this.entities.list('action', `${pathOf(location)}/`)
      .map((entity) => entity.doc as ActionEntity)
      .filter((action) => action.namespace === pathOf(location));
  }
}
