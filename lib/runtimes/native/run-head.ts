/** A native run as stored: the head plus the definition it was started with (redeploys don't affect it). */
import type { Workflow } from '../../model/workflow';
import type { RunDoc } from '../../store/run-documents';

export interface RunHead extends RunDoc {
  definition: Workflow;
  trigger: string;
  selfReporting: string[];
  /**
   * A child run (a parallel branch of several stages): the compiled step its scope starts at, within
   * `definition` (the parent's). Absent: the definition's start (heads written before child runs kept
   * the whole definition held only the branch's stages).
   */
  startStep?: string;
}
