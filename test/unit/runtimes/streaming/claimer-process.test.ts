/**
 * When a task claim's claimer has surely ended (claimer-process.ts): a process of this host and pid
 * namespace that is gone, or whose pid belongs to a later process. Anything else keeps the lease.
 */
import { claimerHasEnded, thisProcess } from '../../../../lib/runtimes/streaming/claimer-process';
import { claimerChild } from './claimer-child';

describe('claimerHasEnded', () => {
  it('is true for a process of this machine that has exited, false while it runs', async () => {
    const { child, claimer, exited } = claimerChild();
    expect(claimerHasEnded(claimer)).toBe(false);
    child.kill('SIGKILL');
    await exited;
    expect(claimerHasEnded(claimer)).toBe(true);
  });

  it('is true when the pid now belongs to a process started later', () => {
    const me = thisProcess();
    expect(claimerHasEnded({ ...me, pid: process.ppid, startTicks: '1' })).toBe(true);
    expect(claimerHasEnded(me)).toBe(false);
    expect(claimerHasEnded({ ...me, startTicks: '1' })).toBe(true);
  });

  it('keeps the lease when it cannot be told: another host, another pid namespace, no claimer, a bad pid', async () => {
    const { claimer, child, exited } = claimerChild();
    child.kill('SIGKILL');
    await exited;
    expect(claimerHasEnded({ ...claimer, host: `${claimer.host}-elsewhere` })).toBe(false);
    expect(claimerHasEnded({ ...claimer, pidNamespace: 'pid:[1]' })).toBe(false);
    expect(claimerHasEnded(undefined)).toBe(false);
    expect(claimerHasEnded({ ...claimer, pid: -1 })).toBe(false);
    expect(claimerHasEnded({ ...claimer, pid: 0 })).toBe(false);
  });
});
