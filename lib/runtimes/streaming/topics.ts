/**
 * Where the streaming engines read and write, by default. One workflow definition runs on either
 * backend; only these names (and the stream URL) say where its events travel.
 */
export interface StreamTopics {
  /** Task completions and run starts, keyed by run id: what the Condition Engine consumes. */
  readonly completions: string;
  /** Orchestration events ("invoke these tasks", "run finished"): what the Rule Engine consumes. */
  readonly orchestration: string;
  /**
   * External events (structured CloudEvents naming their workflow) any producer may write, for the
   * runs' event stages: what the Event Receiver consumes. @default 'whiskflow.events'
   */
  readonly events?: string;
}

export const DEFAULT_TOPICS = {
  completions: 'whiskflow.completions',
  orchestration: 'whiskflow.orchestration',
  events: 'whiskflow.events',
} as const satisfies StreamTopics;

/** Consumer groups: every Condition Engine process shares one group, every Rule Engine another. */
export const DEFAULT_GROUPS = {
  conditionEngine: 'whiskflow-condition-engine',
  ruleEngine: 'whiskflow-rule-engine',
  eventReceiver: 'whiskflow-event-receiver',
} as const;
