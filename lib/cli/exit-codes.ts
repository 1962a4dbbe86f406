/**
 * The CLI's exit codes, listed by `whiskflow --help` and the README. A script can tell "the run
 * failed" from "whiskflow could not do what was asked" without reading the output.
 */
export const EXIT = {
  /** Done; for `status`/`run --wait`: the run succeeded (or, for `status`, is still running). */
  ok: 0,
  /** whiskflow could not do it: bad flag or input, run or workflow not found, platform or store unreachable; `sweep`: a re-delivery failed again. */
  error: 1,
  /** `status` or `run --wait`: the run failed. */
  runFailed: 2,
  /** `run --wait`: still running when `--timeout` was reached. */
  timedOut: 3,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  ${EXIT.ok}  done; \`status\`/\`run --wait\`: the run succeeded (\`status\`: or is still running)
  ${EXIT.error}  error: bad flag or input, run or workflow not found, platform or store unreachable;
     \`sweep\`: a re-delivered completion failed again (its run still waits)
  ${EXIT.runFailed}  \`status\`/\`run --wait\`: the run failed
  ${EXIT.timedOut}  \`run --wait\`: the run was still running at --timeout`;
