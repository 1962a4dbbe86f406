/**
 * What this machine can run actions with: the Node.js of the containers, and a Python 3, a JDK (with
 * Gson and whiskflow's launcher, see scripts/services/install-java-runtime.sh) and a Go toolchain
 * when they are on the PATH. Detected once, by running each program; a missing one leaves its kinds
 * out of the catalogue, so that they are refused at create and not listed by `GET /api/v1`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LoopFamily, LoopRuntimeSettings } from './actionloop/protocol';
import { chooseContainerUser, type ContainerUser } from './container-user';
import { KindCatalog, type HostRuntime } from './kinds';

export interface HostRuntimeOptions {
  /** The Node.js executable of the containers (default: this process's). */
  nodePath?: string;
  /** Executables; default: `python3`, `java`, `go` found on the PATH. `false` leaves a family out. */
  python?: string | false;
  java?: string | false;
  go?: string | false;
}

export type ContainerRuntime = 'nodejs' | LoopRuntimeSettings;

export interface HostRuntimes {
  catalog: KindCatalog;
  /**
   * How containers run a kind: 'nodejs' in the proxy itself, the `/init` settings of a launcher for
   * Python, Java and Go, undefined when this machine cannot run it.
   */
  runtimeFor(kind: string, memoryMb: number): ContainerRuntime | undefined;
}

const PROBE_TIMEOUT_MS = 10_000;
/** Platforms started in one process (tests, benchmarks) probe the machine once. */
const detected = new Map<string, HostRuntimes>();

export function detectHostRuntimes(options: HostRuntimeOptions = {}): HostRuntimes {
  const key = JSON.stringify(options);
  const known = detected.get(key);
  if (known) return known;
  const host = probeHost(options);
  detected.set(key, host);
  return host;
}

function probeHost(options: HostRuntimeOptions): HostRuntimes {
  const root = repositoryRoot();
  const hosts: HostRuntime[] = [];
  const nodeVersion = options.nodePath === undefined || options.nodePath === process.execPath ? process.versions.node : probe(options.nodePath, ['-p', 'process.versions.node']);
  if (nodeVersion) hosts.push({ family: 'nodejs', version: nodeVersion });

  const python = options.python === false ? undefined : options.python ?? 'python3';
  // The interpreter itself, not the name on the PATH: a version manager's shim (pyenv) costs a few
  // hundred milliseconds on every start, i.e. every cold start.
  const pythonFound = python && probe(python, ['-c', 'import sys; print("%d.%d.%d %s" % (sys.version_info[:3] + (sys.executable,)))']);
  const [pythonVersion, pythonExecutable] = pythonFound ? [pythonFound.split(' ')[0], pythonFound.slice(pythonFound.indexOf(' ') + 1) || python] : [undefined, undefined];
  const pythonLauncher = path.join(root, 'lib', 'platform', 'runtime', 'python', 'launcher.py');
  if (python && pythonVersion && fs.existsSync(pythonLauncher)) hosts.push({ family: 'python', version: pythonVersion });

  const java = options.java === false ? undefined : options.java ?? 'java';
  const javaTools = path.join(root, '.tools', 'java');
  const javaVersion = java && probe(java, ['-XshowSettings:properties', '-version'], /java\.version = (\S+)/);
  const javaReady = fs.existsSync(path.join(javaTools, 'gson.jar')) && fs.existsSync(path.join(javaTools, 'launcher', 'WhiskflowLauncher.class'));
  if (java && javaVersion && javaReady) hosts.push({ family: 'java', version: javaVersion });

  const go = options.go === false ? undefined : options.go ?? 'go';
  const goVersion = go && probe(go, ['env', 'GOVERSION'], /go(\S+)/);
  const goTemplate = path.join(root, 'lib', 'platform', 'runtime', 'go', 'launcher.go.tmpl');
  if (go && goVersion && fs.existsSync(goTemplate)) hosts.push({ family: 'go', version: goVersion });

  const catalog = new KindCatalog(hosts);
  const executables: Record<LoopFamily, string | undefined> = { python: pythonExecutable || undefined, java: java || undefined, go: go || undefined };
  return {
    catalog,
    runtimeFor(kind, memoryMb) {
      const family = catalog.familyOf(kind);
      if (family === undefined) return undefined;
      if (family === 'nodejs') return 'nodejs';
      const executable = executables[family]!;
      const settings: LoopRuntimeSettings = { family, memoryMb };
      if (family === 'python') settings.python = { executable, launcher: pythonLauncher };
      if (family === 'java') settings.java = { executable, classpath: [path.join(javaTools, 'gson.jar'), path.join(javaTools, 'launcher')] };
      if (family === 'go') settings.go = { executable, launcherTemplate: goTemplate, cacheDir: goBuildCacheDir() };
      return settings;
    },
  };
}

/** The Go build cache that containers share (scripts/services/install-runtimes.sh fills it ahead). */
export function goBuildCacheDir(): string {
  return path.join(os.tmpdir(), 'whiskflow-go-build-cache');
}

/**
 * The program's version (from stdout or stderr: `java -XshowSettings` writes to stderr), or
 * undefined when it does not run. Run as the containers' user: what the platform's user can run
 * (e.g. a Python under root's home) may be out of that user's reach, and then the PATH's next one
 * (or none) is what actions get.
 */
function probe(executable: string, args: string[], pattern?: RegExp): string | undefined {
  const user: ContainerUser | undefined = chooseContainerUser();
  const asUser = user ? { uid: user.uid, gid: user.gid, cwd: '/' } : {};
  const result = spawnSync(executable, args, { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'], ...asUser });
  if (result.error || result.status !== 0) return undefined;
  const text = `${result.stdout}\n${result.stderr}`.trim();
  if (!pattern) return result.stdout.trim() || undefined;
  return pattern.exec(text)?.[1];
}

/** The checkout whiskflow runs from (the launchers and .tools are there), from sources or dist/. */
function repositoryRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'lib', 'platform'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(__dirname, '..', '..', '..');
    dir = parent;
  }
}
