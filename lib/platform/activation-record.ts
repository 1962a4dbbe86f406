/**
 * Activation records in OpenWhisk's JSON shape (WhiskActivation.toExtendedJson), and the pure
 * functions that build them from a runtime outcome or a composition's summary.
 */
import type { RunStatus } from './runtime/types';
import { KeyValue } from './entities';

export interface ActivationResponse {
  status: RunStatus;
  /** 0 success, 1 application error, 2 action developer error, 3 whisk internal error. */
  statusCode: number;
  success: boolean;
  result: Record<string, unknown>;
}

export interface ActivationRecord {
  namespace: string;
  name: string;
  version: string;
  subject: string;
  activationId: string;
  start: number;
  /** Absent on trigger activations: the controller records them with end = EPOCH and serves no end or duration. */
  end?: number;
  duration?: number;
  response: ActivationResponse;
  logs: string[];
  annotations: KeyValue[];
  publish: boolean;
  /** Id of the sequence or conductor activation this one is part of. */
  cause?: string;
}

const STATUS_CODES: Record<RunStatus, number> = {
  success: 0,
  'application error': 1,
  'action developer error': 2,
  'whisk internal error': 3,
};

export function responseOf(status: RunStatus, result: Record<string, unknown>): ActivationResponse {
  return { status, statusCode: STATUS_CODES[status], success: status === 'success', result };
}

/** A result object with an `error` field is an application error (OpenWhisk's rule for action results). */
export function statusOfResult(result: Record<string, unknown>): RunStatus {
  return Object.prototype.hasOwnProperty.call(result, 'error') ? 'application error' : 'success';
}

/** The summary `GET activations` returns without `docs=true`. */
export function summaryOf(record: ActivationRecord): Record<string, unknown> {
  return {
    activationId: record.activationId,
    annotations: record.annotations,
    // The controller's activation view: end, duration and statusCode only for action activations.
    ...(record.end !== undefined ? { duration: record.duration, end: record.end } : {}),
    name: record.name,
    namespace: record.namespace,
    publish: record.publish,
    start: record.start,
    ...(record.end !== undefined ? { statusCode: record.response.statusCode } : {}),
    version: record.version,
    ...(record.cause ? { cause: record.cause } : {}),
  };
}

export function pathAnnotation(record: ActivationRecord): string | undefined {
  const value = record.annotations.find((annotation) => annotation.key === 'path')?.value;
  return typeof value === 'string' ? value : undefined;
}
