/**
 * Action kinds: OpenWhisk's names for runtimes (ansible/files/runtimes.json of apache/openwhisk,
 * plus the versions its runtime repositories build), which of them this machine can run, and the
 * resolution of `<family>:default` to a concrete kind, as the controller does when it stores an
 * action. Pure: what the machine has is detected elsewhere (host-runtimes.ts) and passed in.
 */

export type RuntimeFamily = 'nodejs' | 'python' | 'java' | 'go';

interface FamilySpec {
  /** The kinds OpenWhisk names for the family, oldest first. */
  kinds: string[];
  /** The manifest's default kind. */
  manifestDefault: string;
  /** The manifest's `requireMain` (Java: `main` names the class). */
  requireMain: boolean;
  /** How a host version (e.g. 3.11.7) names its own kind (python:3.11), if the family has one. */
  ownKind?: (version: string) => string;
}

export const KIND_FAMILIES: Record<RuntimeFamily, FamilySpec> = {
  nodejs: { kinds: ['nodejs:18', 'nodejs:20', 'nodejs:22'], manifestDefault: 'nodejs:20', requireMain: false, ownKind: (v) => `nodejs:${v.split('.')[0] ?? ''}` },
  python: { kinds: ['python:3', 'python:3.9', 'python:3.10', 'python:3.11', 'python:3.12'], manifestDefault: 'python:3.10', requireMain: false, ownKind: (v) => `python:${v.split('.').slice(0, 2).join('.')}` },
  java: { kinds: ['java:8'], manifestDefault: 'java:8', requireMain: true },
  go: { kinds: ['go:1.20', 'go:1.21', 'go:1.22', 'go:1.23', 'go:1.24'], manifestDefault: 'go:1.20', requireMain: false },
};

/** What the machine has for a family: the version of the program that runs its actions. */
export interface HostRuntime {
  family: RuntimeFamily;
  version: string;
}

export interface RunnableKind {
  kind: string;
  family: RuntimeFamily;
  default: boolean;
  requireMain: boolean;
  /** The program and version that really runs it on this machine. */
  runsOn: string;
}

export class KindCatalog {
  private readonly byKind = new Map<string, RunnableKind>();
  private readonly defaults = new Map<RuntimeFamily, string>();

  constructor(hosts: HostRuntime[]) {
    for (const host of hosts) {
      const spec = KIND_FAMILIES[host.family];
      const kinds = runnableKinds(host, spec);
      if (kinds.length === 0) continue;
      const own = spec.ownKind?.(host.version);
      const defaultKind = own !== undefined && kinds.includes(own) ? own : kinds.includes(spec.manifestDefault) ? spec.manifestDefault : kinds[kinds.length - 1]!;
      this.defaults.set(host.family, defaultKind);
      for (const kind of kinds) {
        this.byKind.set(kind, { kind, family: host.family, default: kind === defaultKind, requireMain: spec.requireMain, runsOn: `${host.family} ${host.version}` });
      }
    }
  }

  /**
   * The concrete kind an action of `kind` is stored with (`python:default` -> `python:3.11`), or
   * undefined when this machine cannot run it. `sequence` is its own kind.
   */
  resolve(kind: string): string | undefined {
    if (kind === 'sequence') return kind;
    const [family, version] = kind.split(':');
    if (version === 'default') return this.defaults.get(family as RuntimeFamily);
    return this.byKind.has(kind) ? kind : undefined;
  }

  familyOf(kind: string): RuntimeFamily | undefined {
    return this.byKind.get(kind)?.family;
  }

  /** Every kind accepted at create, `<family>:default` and `sequence` included, for error messages. */
  acceptedKinds(): string[] {
    return [...[...this.defaults.keys()].flatMap((family) => [...this.kindsOf(family).map((k) => k.kind), `${family}:default`]), 'sequence'];
  }

  /** The kinds that run, grouped by family as `GET /api/v1` lists them. */
  byFamily(): Record<string, RunnableKind[]> {
    const result: Record<string, RunnableKind[]> = {};
    for (const family of this.defaults.keys()) result[family] = this.kindsOf(family);
    return result;
  }

  private kindsOf(family: RuntimeFamily): RunnableKind[] {
    return [...this.byKind.values()].filter((kind) => kind.family === family);
  }
}

/**
 * Node.js: only the kind of the Node.js that runs the containers (another version is never run in
 * its place). Python, Java and Go: their OpenWhisk kinds all run on the machine's Python 3, JDK and
 * Go (these languages keep old code running; the catalogue says which version runs them).
 */
function runnableKinds(host: HostRuntime, spec: FamilySpec): string[] {
  if (host.family === 'nodejs') {
    const own = spec.ownKind!(host.version);
    return spec.kinds.includes(own) ? [own] : [];
  }
  if (host.family === 'python') {
    if (!host.version.startsWith('3.')) return [];
    const own = spec.ownKind!(host.version);
    return spec.kinds.includes(own) ? spec.kinds : [...spec.kinds, own];
  }
  return spec.kinds;
}
