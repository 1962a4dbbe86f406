/** `--json` output: one JSON document on stdout, nothing else there (warnings go to stderr). */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}
