/**
 * Entity names as OpenWhisk defines them (EntityName / EntityPath / FullyQualifiedEntityName):
 * a namespace, an optional package, and a simple name, each matching the same regex.
 */
import { badRequest } from './api-error';
import { Messages } from './messages';

/** `EntityName.REGEX` of the real controller: word characters, then also `@`, space, `.` and `-`. */
const ENTITY_NAME = /^(\w|\w[\w@ .-]*[\w@.-]+)$/;
export const ENTITY_NAME_MAX_LENGTH = 256;
/** The namespace `_` stands for the caller's own namespace. */
export const DEFAULT_NAMESPACE = '_';

export function isValidEntityName(name: string): boolean {
  return name.length > 0 && name.length <= ENTITY_NAME_MAX_LENGTH && ENTITY_NAME.test(name);
}

/** Throws a 400 with OpenWhisk's text when `name` is not a legal entity name. */
export function checkEntityName(name: string, what: 'name' | 'namespace' = 'name'): string {
  if (name.length > ENTITY_NAME_MAX_LENGTH) {
    throw badRequest(Messages.entityNameTooLong(what === 'name' ? 'Entity name' : 'Namespace', name.length, ENTITY_NAME_MAX_LENGTH), { name });
  }
  if (!ENTITY_NAME.test(name)) {
    throw badRequest(what === 'name' ? Messages.entityNameIllegal : Messages.namespaceIllegal, { name });
  }
  return name;
}

/** A resolved name: `namespace`, optional `pkg`, simple `name`. */
export interface QualifiedName {
  namespace: string;
  pkg?: string;
  name: string;
}

/** `ns/pkg/name` or `ns/name`: the document id and the activation `path` annotation. */
export function pathOf(qualified: QualifiedName): string {
  return qualified.pkg ? `${qualified.namespace}/${qualified.pkg}/${qualified.name}` : `${qualified.namespace}/${qualified.name}`;
}

/** `/ns/pkg/name`: the fully qualified name clients show. */
export function fqnOf(qualified: QualifiedName): string {
  return `/${pathOf(qualified)}`;
}

/** The entity's `namespace` field: `ns` or `ns/pkg` for actions inside a package. */
export function entityNamespaceOf(qualified: QualifiedName): string {
  return qualified.pkg ? `${qualified.namespace}/${qualified.pkg}` : qualified.namespace;
}

/**
 * Parses a name as the controller does for sequence components, rule references and conductor
 * continuations: `/ns/name`, `/ns/pkg/name`, or relative `name` / `pkg/name` in `defaultNamespace`.
 * Returns undefined when the string has no valid shape.
 */
export function parseQualifiedName(text: string, defaultNamespace: string): QualifiedName | undefined {
  const absolute = text.startsWith('/');
  const parts = (absolute ? text.slice(1) : text).split('/');
  if (parts.some((part) => !isValidEntityName(part))) return undefined;
  let result: QualifiedName | undefined;
  if (absolute) {
    if (parts.length === 2) result = { namespace: parts[0]!, name: parts[1]! };
    else if (parts.length === 3) result = { namespace: parts[0]!, pkg: parts[1]!, name: parts[2]! };
  } else if (parts.length === 1) {
    result = { namespace: defaultNamespace, name: parts[0]! };
  } else if (parts.length === 2) {
    result = { namespace: defaultNamespace, pkg: parts[0]!, name: parts[1]! };
  }
  if (result && result.namespace === DEFAULT_NAMESPACE) result.namespace = defaultNamespace;
  return result;
}
