/**
 * Where the Condition Engine finds the workflow a `run.started` names: workflows given to the engine
 * (files on its command line), then those deployed to the run store (`workflow/<name>`). Each is
 * compiled once; a run keeps the compiled form it started with.
 */
import { readFile } from 'node:fs/promises';
import { compileWorkflow, type CompiledWorkflow } from '../../model/compile';
import { parseWorkflow } from '../../model/parse';
import type { Workflow } from '../../model/workflow';
import { docIds, type WorkflowDoc } from '../../store/run-documents';
import type { RunStore } from '../../store/run-store';

export interface WorkflowSource {
  compiled(name: string): Promise<CompiledWorkflow | undefined>;
}

export class WorkflowCatalog implements WorkflowSource {
  private readonly local = new Map<string, CompiledWorkflow>();

  constructor(workflows: readonly Workflow[] = [], private readonly store?: RunStore) {
    for (const workflow of workflows) this.add(workflow);
  }

  static async fromFiles(paths: readonly string[], store?: RunStore): Promise<WorkflowCatalog> {
    const workflows = await Promise.all(paths.map(async (path) => parseWorkflow(await readFile(path, 'utf8'))));
    return new WorkflowCatalog(workflows, store);
  }

  add(workflow: Workflow): CompiledWorkflow {
    const compiled = compileWorkflow(workflow);
    this.local.set(workflow.name, compiled);
    return compiled;
  }

  names(): string[] {
    return [...this.local.keys()];
  }

  async compiled(name: string): Promise<CompiledWorkflow | undefined> {
    const local = this.local.get(name);
    if (local) return local;
    const deployed = this.store ? await this.store.get<WorkflowDoc>(docIds.workflow(name)) : undefined;
    return deployed ? compileWorkflow(deployed.definition) : undefined;
  }
}
