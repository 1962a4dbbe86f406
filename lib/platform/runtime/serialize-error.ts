/**
 * What the Node.js runtime records for a rejected promise: `{ error: serializeError(reason) }`, as
 * the `serialize-error` package does it. Errors keep `name`, `message` and `stack` (which are not
 * enumerable, so JSON.stringify alone would lose them) plus their own fields; primitives pass
 * through; cycles become "[Circular]"; functions become "[Function: name]".
 */
export function serializeError(value: unknown): unknown {
  return toPlain(value, new Set<object>());
}

function toPlain(value: unknown, seen: Set<object>): unknown {
  if (typeof value === 'function') return `[Function: ${value.name || 'anonymous'}]`;
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => toPlain(item, seen));
    const plain: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (typeof field === 'object' && field !== null && typeof (field as { toJSON?: unknown }).toJSON === 'function') {
        plain[key] = field;
      } else {
        plain[key] = toPlain(field, seen);
      }
    }
    if (value instanceof Error) {
      for (const key of ['name', 'message', 'stack'] as const) {
        if (typeof value[key] === 'string') plain[key] = value[key];
      }
    }
    return plain;
  } finally {
    seen.delete(value);
  }
}
