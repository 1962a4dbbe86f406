/** Blocking invocations whose record the suites inspect, whatever the outcome. */
import type openwhisk from 'openwhisk';

export interface Record {
  activationId: string;
  response: { status: string; success: boolean; result: { [key: string]: any } };
  logs: string[];
  annotations: { key: string; value: unknown }[];
}

/** The activation record of a blocking invoke; the client rejects failed ones with the record as `error`. */
export async function invokeRecord(ow: openwhisk.Client, name: string, params: object = {}): Promise<Record> {
  try {
    return (await ow.actions.invoke({ name, params, blocking: true })) as unknown as Record;
  } catch (error) {
    const record = (error as { error?: Record }).error;
    if (record && typeof record === 'object' && 'response' in record) return record;
    throw error;
  }
}

/** The messages of a record's log lines, without time and stream. */
export function logMessages(record: Pick<Record, 'logs'>): string[] {
  return record.logs.map((line) => line.replace(/^\S+\s+std(out|err): /, ''));
}
