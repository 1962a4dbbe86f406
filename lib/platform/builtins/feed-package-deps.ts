/** What a built-in feed package (alarms, cloudant) needs from the platform to keep and fire its triggers. */
import nano from 'nano';
import { BuiltinHandler } from '../invoker';
import { EntityStore } from '../persistence/entity-store';
import { SubjectStore } from '../persistence/subject-store';
import { TriggerFireDeps } from '../trigger-fire';

export interface FeedPackageDeps {
  entities: EntityStore;
  subjects: SubjectStore;
  /** Where the package keeps its registrations across restarts. */
  subjectsDb: nano.DocumentScope<Record<string, unknown>>;
  fire: TriggerFireDeps;
  builtins: Map<string, BuiltinHandler>;
  log: (message: string) => void;
}
