/**
 * The native orchestrator's entry points (the action `whiskflow/orchestrator`, the sweep, tests):
 * handle-event.ts and the modules it names hold the parts.
 */
export { handleEvent, resumeClaimedAttempts, type ClaimedAttempt } from './handle-event';
export { qualify, type EventOutcome, type OrchestratorContext } from './handling';
export { joinOfMarkers, joinedMarker, type JoinedStage } from './results';
export type { RunHead } from './run-head';
