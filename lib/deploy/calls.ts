/**
 * How deploy and undeploy call the platform: every call rides out throttling (429, 503/504) for up
 * to two minutes, and a read of what may not exist answers `undefined` on 404.
 */
import { statusOf } from '../openwhisk/status';
import { withThrottleRetry } from '../openwhisk/throttle';

const DEPLOY_PATIENCE_MS = 120_000;

export const retry = <T>(what: string, call: () => Promise<T>): Promise<T> =>
  withThrottleRetry(what, call, { deadline: Date.now() + DEPLOY_PATIENCE_MS });

export async function getIfExists<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await retry('get', call);
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}
