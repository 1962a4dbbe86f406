/**
 * What every resource handler of the REST API gets: the parsed request, the caller's identity, and
 * the platform's services. Handlers return `{ status, body }`; thrown errors become `{ error, code }`.
 */
import { Invoker, BuiltinHandler } from '../invoker';
import { BuildOptions } from '../entities';
import { SystemLimits } from '../limits';
import { ActivationStore } from '../persistence/activation-store';
import { EntityStore } from '../persistence/entity-store';
import { Identity, SubjectStore } from '../persistence/subject-store';
import { Resolver } from '../resolver';
import type { KindCatalog } from '../runtime/kinds';
import { Throttles } from '../throttles';
import { TriggerFireDeps } from '../trigger-fire';
import { badRequest } from '../api-error';
import { Messages } from '../messages';

export interface ApiRequest {
  method: string;
  /** Namespace from the path, `_` already replaced by the caller's. */
  namespace: string;
  /** Path segments after the collection (`pkg`, `name`, an activation id, `result`...), decoded. */
  rest: string[];
  query: URLSearchParams;
  /** Raw body bytes (for size limits) and the parsed JSON (undefined when empty). */
  bodySize: number;
  body: unknown;
  caller: Identity;
}

export interface ApiResponse {
  status: number;
  /** JSON body; undefined writes an empty body. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiServices {
  entities: EntityStore;
  activations: ActivationStore;
  subjects: SubjectStore;
  resolver: Resolver;
  invoker: Invoker;
  throttles: Throttles;
  limits: SystemLimits;
  builtins: Map<string, BuiltinHandler>;
  fire: TriggerFireDeps;
  /** Clock and feature flags for building entities. */
  buildOptions: () => BuildOptions;
  /** The action kinds this platform runs. */
  kinds: KindCatalog;
}

export type ResourceHandler = (request: ApiRequest, services: ApiServices) => ApiResponse | Promise<ApiResponse>;

export function flag(query: URLSearchParams, name: string): boolean {
  return query.get(name) === 'true';
}

export interface Paging { limit: number; skip: number; count: boolean }

/** `limit`, `skip` and `count` as the controller validates them (limit 0..200, default 30). */
export function paging(query: URLSearchParams, collection: string, defaultLimit = 30, maxLimit = 200): Paging {
  const integer = (name: string, fallback: number): number => {
    const text = query.get(name);
    if (text === null || text === '') return fallback;
    const value = Number(text);
    if (!Number.isInteger(value)) throw badRequest(Messages.argumentNotInteger(collection, text));
    return value;
  };
  const limit = integer('limit', defaultLimit);
  const skip = integer('skip', 0);
  if (limit < 0 || limit > maxLimit) throw badRequest(Messages.listLimitOutOfRange(collection, limit, maxLimit));
  if (skip < 0) throw badRequest(Messages.listSkipOutOfRange(collection, skip));
  return { limit: limit === 0 ? maxLimit : limit, skip, count: flag(query, 'count') };
}

export function page<T>(items: T[], paging: Paging): T[] {
  return items.slice(paging.skip, paging.skip + paging.limit);
}
