/**
 * The user action containers run as. An OpenWhisk action runs inside Docker, never with the
 * invoker's rights; here a container is a process on the platform's machine, so when the platform
 * runs as root its containers switch to an unprivileged user: then an action cannot signal the
 * platform, read its environment (/proc/<pid>/environ is the owner's alone), or write its files.
 * Without root there is no other user to switch to: containers then run as the platform's user.
 */
import * as fs from 'node:fs';

export interface ContainerUser {
  name: string;
  uid: number;
  gid: number;
}

/** `nobody` on Linux distributions; its ids when /etc/passwd has no entry (a minimal image). */
const UNPRIVILEGED_USER = 'nobody';
const NOBODY_ID = 65534;

/** The user to run containers as, or undefined to run them as the platform's own user. */
export function chooseContainerUser(): ContainerUser | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  return lookUpUser(UNPRIVILEGED_USER) ?? { name: UNPRIVILEGED_USER, uid: NOBODY_ID, gid: NOBODY_ID };
}

function lookUpUser(name: string): ContainerUser | undefined {
  let passwd: string;
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid && gid && Number(uid) > 0) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}
