/** CPU time of the platform's controller, its action containers and CouchDB, from /proc. */
import { childrenCpuMs, readCpu } from '../lib/proc';

export interface CpuSample { controllerMs: number; containersMs: number; couchMs: number }

export function cpuSample(platformPid: number, couchPids: readonly number[]): CpuSample {
  const children = childrenCpuMs(platformPid, /pouchdb-server/);
  const couches = couchPids.map((pid) => readCpu(pid));
  return {
    controllerMs: readCpu(platformPid)?.selfMs ?? Number.NaN,
    containersMs: children?.otherMs ?? Number.NaN,
    couchMs: couches.length > 0 && couches.every((couch) => couch !== undefined)
      ? couches.reduce((sum, couch) => sum + couch!.selfMs + couch!.reapedChildrenMs, 0) : Number.NaN,
  };
}

export const cpuDiff = (after: CpuSample, before: CpuSample, per: number): CpuSample => ({
  controllerMs: (after.controllerMs - before.controllerMs) / per,
  containersMs: (after.containersMs - before.containersMs) / per,
  couchMs: (after.couchMs - before.couchMs) / per,
});
