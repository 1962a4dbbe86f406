/**
 * A workflow deployed the way `wskdeploy -m` deploys what `whiskflow manifest` writes: the
 * manifest's triggers, whose `inputs` become the trigger's parameters (the workflow's name and its
 * definition), and its rules; no `workflow/<name>` document in the store. The whiskflow package's
 * actions come from `deployRuntime` (startDeployedPlatform).
 *
 * This is not wskdeploy (test/integration/deploy drives the real one), only the manifest's triggers
 * and rules read as the wskdeploy specification defines `inputs` (a plain value, or `{ type, value }`):
 * a quick fixture for the orchestrator's and the sweep's tests of such deployments.
 */
import { buildManifest } from '../../../../lib/deploy/manifest';
import { parseWorkflowSource } from '../../../../lib/model/parse';
import { PACKAGE } from '../../../../lib/openwhisk/names';
import { readEventKey } from '../../../../lib/openwhisk/event-key';
import type { TestClient } from '../../../helpers/deployed-platform';

interface ManifestTrigger { inputs?: Record<string, unknown>; feed?: string }
interface ManifestRule { trigger: string; action: string }

/** `workflowText`: the workflow file's text (the manifest carries its document as written). */
export async function deployManifestTriggers(client: TestClient, workflowText: string): Promise<void> {
  // Sealed with the key deployRuntime bound to the orchestrator, as `whiskflow manifest` seals with the deployment's.
  const eventKey = await readEventKey(client);
  const pkg = (buildManifest(parseWorkflowSource(workflowText).source, eventKey ? { eventKey } : {}).packages as Record<string, { triggers?: Record<string, ManifestTrigger>; rules?: Record<string, ManifestRule> }>)[PACKAGE]!;
  for (const [name, trigger] of Object.entries(pkg.triggers ?? {})) {
    if (trigger.feed) throw new Error(`trigger ${name} has a feed: not deployed by this helper`);
    const parameters = Object.entries(trigger.inputs ?? {}).map(([key, input]) => ({ key, value: valueOf(input) }));
    await client.triggers.update({ name, trigger: { parameters } });
  }
  for (const [name, rule] of Object.entries(pkg.rules ?? {})) {
    await client.rules.update({ name, trigger: rule.trigger, action: rule.action });
  }
}

function valueOf(input: unknown): unknown {
  return typeof input === 'object' && input !== null && 'value' in input ? (input as { value: unknown }).value : input;
}
