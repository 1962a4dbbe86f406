/**
 * `/namespaces/{ns}/activations[/{id}[/result|/logs]]`: activation records.
 */
import { ActivationRecord, pathAnnotation, summaryOf } from '../activation-record';
import { badRequest, notFound } from '../api-error';
import { Messages } from '../messages';
import { isValidEntityName } from '../names';
import { ApiRequest, ApiResponse, ApiServices, flag, paging } from './context';

const ACTIVATION_ID = /^[0-9a-f]{32}$/;

export async function handleActivations(request: ApiRequest, services: ApiServices): Promise<ApiResponse> {
  if (request.method !== 'GET') throw notFound();
  services.resolver.requireOwner(request.caller, request.namespace);
  const { rest } = request;
  if (rest.length === 0) return listActivations(request, services);
  const id = rest[0]!;
  if (!ACTIVATION_ID.test(id) || rest.length > 2) throw badRequest(Messages.activationIdIllegal, { activationId: id });
  const record = await services.activations.get(request.namespace, id);
  if (!record) throw notFound(id);
  if (rest.length === 1) return { status: 200, body: record };
  if (rest[1] === 'result') return { status: 200, body: record.response };
  if (rest[1] === 'logs') return { status: 200, body: { logs: record.logs } };
  throw notFound();
}

function listActivations(request: ApiRequest, services: ApiServices): ApiResponse {
  const { query } = request;
  const pageOf = paging(query, 'activations');
  const docs = flag(query, 'docs');
  if (docs && pageOf.count) throw badRequest(Messages.docsNotAllowedWithCount);
  const name = query.get('name') ?? undefined;
  if (name !== undefined && !isNameFilter(name)) throw badRequest(Messages.badNameFilter(name));
  const records = services.activations.list(request.namespace, {
    ...(name !== undefined ? { name } : {}),
    ...epoch(query, 'since'),
    ...epoch(query, 'upto'),
  }, matchesName);
  if (pageOf.count) return { status: 200, body: { activations: records.length } };
  const selected = records.slice(pageOf.skip, pageOf.skip + pageOf.limit);
  return { status: 200, body: docs ? selected : selected.map(summaryOf) };
}

function isNameFilter(name: string): boolean {
  const parts = name.split('/');
  return parts.length <= 2 && parts.every(isValidEntityName);
}

/** `name` is the simple name, or `pkg/name` matched against the activation's path. */
function matchesName(record: ActivationRecord, name: string): boolean {
  if (!name.includes('/')) return record.name === name;
  const path = pathAnnotation(record);
  return path !== undefined && path.endsWith(`/${name}`);
}

function epoch(query: URLSearchParams, field: 'since' | 'upto'): Partial<Record<'since' | 'upto', number>> {
  const text = query.get(field);
  if (text === null || text === '') return {};
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw badRequest(Messages.badEpoch(text));
  return { [field]: value };
}
