/**
 * The workflow commands of the native orchestrator, for lib/cli/main.ts to register
 * (`for (const register of WORKFLOW_COMMANDS) register(program)`). `local` is registered separately.
 */
import type { Command } from 'commander';
import { register as cancel } from './cancel';
import { register as deploy } from './deploy';
import { register as logs } from './logs';
import { register as manifest } from './manifest';
import { register as run } from './run';
import { register as runs } from './runs';
import { register as status } from './status';
import { register as sweep } from './sweep';
import { register as undeploy } from './undeploy';
import { register as events } from './events';

export const WORKFLOW_COMMANDS: ((program: Command) => void)[] = [deploy, undeploy, run, status, runs, logs, manifest, sweep, cancel, events];
