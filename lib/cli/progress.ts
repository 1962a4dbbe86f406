/**
 * `run --wait`'s progress bar: one stage at a time, its total known when the stage starts (a map's
 * is its item count), so the bar never grows while it fills. The whole run's total is not known
 * before its last stage starts (a choice or a map decides what comes next), so it is not shown.
 */
import { Presets, SingleBar, type Options } from 'cli-progress';
import type { RunView } from '../runs/run-view';

export class StageProgress {
  private readonly bar: SingleBar;
  private current?: number;

  /** `options` reach cli-progress as they are (tests give a stream of their own). */
  constructor(options: Options = {}) {
    this.bar = new SingleBar({ format: 'stage {stage} [{bar}] {value}/{total} tasks', hideCursor: true, clearOnComplete: false, stopOnComplete: false, ...options }, Presets.shades_classic);
  }

  update(view: RunView): void {
    const stage = view.stages.at(-1);
    if (!stage) return;
    const done = stage.completed + stage.failed;
    if (this.current !== stage.position) {
      // A new stage: the finished one's bar stays on screen, the next one starts below it.
      if (this.current !== undefined) this.bar.stop();
      this.current = stage.position;
      this.bar.start(stage.taskCount, done, { stage: stage.stageId });
      return;
    }
    this.bar.update(done, { stage: stage.stageId });
  }

  stop(): void {
    if (this.current !== undefined) this.bar.stop();
    this.current = undefined;
  }
}
