/** Events travel as JSON text; a value that is not JSON (written by another producer) is passed on as its text. */
export function parseEventJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
