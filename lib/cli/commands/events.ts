/**
 * External events and callbacks from the command line:
 * - `whiskflow send <workflow> --type T --key K [--data JSON] [--id ID]`: delivers an event to the
 *   workflow's `event` stages (native: fired into its trigger; streaming: its mailbox and stream);
 * - `whiskflow complete <token> (--result JSON | --error NAME_OR_JSON)`: reports a callback task;
 * - `whiskflow heartbeat <token>`: the callback's work goes on (its `heartbeatSeconds` start over);
 * - `whiskflow endpoint [workflow]`: the HTTP endpoint's URL (lib/runs/event-endpoint.ts) and a workflow's sender token;
 * - `whiskflow events [runId] [--workflow W]`: the events a run's waits received (and what they
 *   wait for), or every event received for a workflow, the pending ones (no run took them) marked.
 */
import type { Command } from 'commander';
import { InvalidInputError } from '../../errors';
import type { Json } from '../../model/json';
import { completeTask, heartbeatTask, sendEvent } from '../../runs/event-client';
import { describeWait, eventsOf, eventsOfRun } from '../../store/event-mailbox';
import { printJson } from '../output';
import type { ConnectionFlags } from '../settings';
import { addConnectionOptions, withConnection } from './connection';
import { eventsEndpointUrl } from '../../deploy/runtime';
import { eventEndpointToken } from '../../events/event-seal';
import { readEventKey } from '../../openwhisk/event-key';
import { apihostUrl } from '../settings';

export function register(program: Command): void {
  addConnectionOptions(program
    .command('send <workflow>'))
    .description('deliver an external event to the workflow\'s event stages (kept until a run waits for it)')
    .requiredOption('--type <type>', 'the CloudEvent type the event stage waits for')
    .requiredOption('--key <key>', 'the correlation key (what the stage\'s `key` path holds in the waiting run\'s data)')
    .option('--data <json>', 'the event\'s data: the waiting stage\'s result', 'null')
    .option('--id <id>', 'the CloudEvent id: sending the same id again is a duplicate (default: a fresh one)')
    .action(async (workflow: string, flags: ConnectionFlags & { type: string; key: string; data: string; id?: string }) => {
      const data = parseJson('--data', flags.data);
      const sent = await withConnection(flags, (connection) =>
        sendEvent(connection, workflow, { type: flags.type, key: flags.key, data, ...(flags.id ? { id: flags.id } : {}) }));
      if (sent.model === 'native') console.log(`ok: event ${sent.eventId} fired into the trigger of ${workflow} (activation ${sent.triggerActivationId ?? '-'})`);
      else console.log(`ok: event ${sent.eventId} ${sent.outcome}${sent.runId ? ` (run ${sent.runId})` : ''}`);
    });

  addConnectionOptions(program
    .command('complete <token>'))
    .description('report the outcome of a callback task (callback: true) for the token its action received')
    .option('--result <json>', 'the task\'s result')
    .option('--error <nameOrJson>', 'fail the task with this error (a name such as Rejected, or a JSON error object)')
    .action(async (token: string, flags: ConnectionFlags & { result?: string; error?: string }) => {
      if ((flags.result === undefined) === (flags.error === undefined)) throw new InvalidInputError('give exactly one of --result and --error', {});
      const outcome = flags.result !== undefined ? { result: parseJson('--result', flags.result) } : { error: errorOf(flags.error ?? '') };
      const done = await withConnection(flags, (connection) => completeTask(connection, token, outcome));
      console.log(`ok: ${'result' in outcome ? 'result' : 'error'} reported for run ${done.runId}`);
    });

  addConnectionOptions(program
    .command('heartbeat <token>'))
    .description('report that the work of a callback task goes on: a task with heartbeatSeconds fails (whiskflow.HeartbeatTimeout) without one in time')
    .action(async (token: string, flags: ConnectionFlags) => {
      const done = await withConnection(flags, (connection) => heartbeatTask(connection, token));
      console.log(`ok: heartbeat reported for run ${done.runId}`);
    });

  addConnectionOptions(program
    .command('endpoint [workflow]'))
    .description('print the deployed HTTP endpoint for events and callback reports, and the sender token a workflow\'s events are posted with')
    .option('--json', 'print JSON')
    .action(async (workflow: string | undefined, flags: ConnectionFlags & { json?: boolean }) => {
      const found = await withConnection(flags, async (connection) => {
        const url = await eventsEndpointUrl(connection.client, apihostUrl(connection.apihost));
        const key = workflow ? await readEventKey(connection.client) : undefined;
        if (workflow && !key) throw new InvalidInputError('the deployed whiskflow runtime has no event key: redeploy it (whiskflow deploy)', {});
        return { url, ...(workflow && key ? { workflow, events: `${url}/events/${encodeURIComponent(workflow)}`, token: eventEndpointToken(key, workflow) } : {}) };
      });
      if (flags.json) return printJson(found);
      console.log(`callbacks: POST ${found.url}/callbacks/complete|fail|heartbeat with { "token": …, "result" | "error": … }`);
      if (found.events) console.log(`events of ${workflow}: POST ${found.events} with authorization: Bearer ${found.token}`);
      return undefined;
    });

  addConnectionOptions(program
    .command('events [runId]'))
    .description('list the events a run received (and what it waits for), or with --workflow every event received, pending ones marked')
    .option('--workflow <name>', 'every event received for this workflow')
    .option('--json', 'print JSON')
    .action(async (runId: string | undefined, flags: ConnectionFlags & { workflow?: string; json?: boolean }) => {
      if (!runId && !flags.workflow) throw new InvalidInputError('give a run id, or --workflow <name>', {});
      await withConnection(flags, async ({ store }) => {
        if (runId) {
          const waits = await eventsOfRun(store, runId);
          // A streaming wait's attempt token stays in the store: it signs the wait's completion.
          if (flags.json) return printJson(waits.map(({ wait: { token: _token, ...wait }, received }) => (received ? { wait, received } : { wait })));
          if (waits.length === 0) console.log(`run ${runId} has entered no event stage`);
          for (const { wait, received } of waits) {
            console.log(received
              ? `${wait.stageId}: received ${received.eventType} ${received.eventId} (key ${JSON.stringify(received.key)}) at ${new Date(received.receivedAt).toISOString()}: ${JSON.stringify(received.data)}`
              : `waiting: ${describeWait(wait)}`);
          }
          return undefined;
        }
        const events = await eventsOf(store, { workflow: flags.workflow ?? '' });
        if (flags.json) return printJson(events);
        for (const event of events) {
          const where = event.consumedBy ? `run ${event.consumedBy.runId}` : 'pending (no run has waited for it)';
          console.log(`${new Date(event.receivedAt).toISOString()} ${event.eventType} key ${JSON.stringify(event.key)} id ${event.eventId}: ${where}`);
        }
        return undefined;
      });
    });
}

function parseJson(flag: string, text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new InvalidInputError(`${flag} must be JSON (got ${JSON.stringify(text.slice(0, 80))})`, { flag });
  }
}

/** `--error Rejected` or `--error '{"name":"Rejected","message":"…"}'`. */
function errorOf(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}
