/**
 * What the fault trials run: a map of N short tasks, a loop of N tasks through a choice (each task
 * is a visit of the same stage), or a sequence of N task stages, with one counting action. The action appends its task's id
 * to a file before it sleeps, so the file tells how often each task ran, whatever the activation
 * records say; it returns the id, so each result document names its task.
 */

export type WorkloadKind = 'map' | 'choice' | 'sequence';

export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['map', 'choice', 'sequence'];

export interface Workload {
  kind: WorkloadKind;
  tasks: number;
  /** Workflow name (deployed once per platform). */
  workflow: string;
  yaml: string;
  input(countFile: string): unknown;
  /** Every task id the run must record once. */
  taskIds(): string[];
}

export const PACKAGE = 'faults';

/** The counting action: `task` is `m<i>` for a map element, `s<n>` for the n-th task of the loop or the sequence. */
export const ACTIONS = `
const { appendFileSync } = require('fs');
exports.nap = async (params) => {
  const task = params.i !== undefined ? 'm' + params.i : 's' + params.n;
  appendFileSync(params.countFile, task + '\\n');
  await new Promise((resolve) => setTimeout(resolve, params.ms || 50));
  return params.i !== undefined ? { task, i: params.i } : { task, n: params.n + 1, last: params.last, countFile: params.countFile, ms: params.ms };
};
`;

const RETRY = 'retry: { maxAttempts: 4, backoff: { initialMs: 100 } }';

export function workload(kind: WorkloadKind, tasks: number, ms = 50): Workload {
  if (kind === 'map') {
    const workflow = `faults-map-${tasks}`;
    return {
      kind, tasks, workflow,
      yaml: `name: ${workflow}\nstages:\n  - id: each\n    kind: map\n    action: ${PACKAGE}/nap\n    items: $.items\n    ${RETRY}\n`,
      input: (countFile) => ({ items: Array.from({ length: tasks }, (_, i) => ({ i, countFile, ms })) }),
      taskIds: () => Array.from({ length: tasks }, (_, i) => `m${i}`),
    };
  }
  if (kind === 'sequence') {
    // N stages in a row: each transition is a stage's end, not a visit of the same stage again.
    const workflow = `faults-sequence-${tasks}`;
    const stages = Array.from({ length: tasks }, (_, n) => [`  - id: s${n}`, '    kind: task', `    action: ${PACKAGE}/nap`, `    ${RETRY}`].join('\n'));
    return {
      kind, tasks, workflow,
      yaml: [`name: ${workflow}`, 'stages:', ...stages, ''].join('\n'),
      input: (countFile) => ({ n: 0, last: tasks, countFile, ms }),
      taskIds: () => Array.from({ length: tasks }, (_, n) => `s${n}`),
    };
  }
  const workflow = `faults-loop-${tasks}`;
  return {
    kind, tasks, workflow,
    yaml: [
      `name: ${workflow}`, 'stages:',
      '  - id: step', '    kind: task', `    action: ${PACKAGE}/nap`, `    ${RETRY}`,
      '  - id: again', '    kind: choice', '    rules:', '      - when: { path: $.n, lt: ' + tasks + ' }', '        next: step', '    default: done',
      '  - id: done', '    kind: succeed', '',
    ].join('\n'),
    input: (countFile) => ({ n: 0, last: tasks, countFile, ms }),
    taskIds: () => Array.from({ length: tasks }, (_, n) => `s${n}`),
  };
}

/** How often each task ran, from the counting file's lines. */
export function runCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) if (line) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}
