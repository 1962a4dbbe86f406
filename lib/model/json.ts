/** JSON values as they travel between actions, events and stores. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** True for `{...}` values, false for arrays and null, which OpenWhisk does not accept as parameters. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
