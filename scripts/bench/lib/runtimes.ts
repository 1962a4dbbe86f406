/**
 * The platform's language runtimes side by side: for Node.js, Python, Java and Go, the cold start
 * (a new action each time: process start, /init, and for Go the compilation), the warm no-op
 * blocking invoke (p50, and its ratio to Node.js's), the CPU of the containers per warm activation,
 * and the resident memory of one warm container (the Node.js proxy plus the language's process).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import AdmZip from 'adm-zip';
import type openwhisk from 'openwhisk';
import type { ChildPlatform } from './child-platform';
import { childrenCpuMs, commandLine, descendants, rssBytes } from './proc';
import { target, type TargetVerdict } from './report';
import { rounded, summarize, type Summary } from './stats';

type Client = ReturnType<typeof openwhisk>;

export type BenchLanguage = 'nodejs' | 'python' | 'java' | 'go';

export interface RuntimeBench {
  language: BenchLanguage;
  kind: string;
  cold: { count: number; clientLatencyMs: Summary; initTimeMs: Summary };
  warm: { invokes: number; clientLatencyMs: Summary; ratioToNodejsP50?: number; containerCpuMsPerActivation: number };
  /** RSS of the warm container's processes: the action proxy, and the language's launcher when there is one. */
  containerRssBytes: number | null;
}

const ROOT = join(__dirname, '..', '..', '..', '..');
/** How to recognize the language's process among the platform's descendants. */
const LAUNCHER: Record<BenchLanguage, RegExp | undefined> = {
  nodejs: undefined,
  python: /python\/launcher\.py/,
  java: /WhiskflowLauncher/,
  go: /whiskflow-container-[^/]+\/bin\/exec/,
};

/** A no-op action of each language; `n` makes the code distinct, so that nothing warm serves it. */
function noopExec(language: BenchLanguage, n: number, javaJar: () => string): Record<string, unknown> {
  switch (language) {
    case 'nodejs':
      return { kind: 'nodejs:default', code: `function main() { return { n: ${n} }; }` };
    case 'python':
      return { kind: 'python:default', code: `def main(args):\n    return {"n": ${n}}\n` };
    case 'go':
      return { kind: 'go:default', code: `package main\n\nfunc Main(args map[string]interface{}) map[string]interface{} {\n\treturn map[string]interface{}{"n": ${n}}\n}\n` };
    case 'java':
      return { kind: 'java:default', code: javaJar(), main: 'Noop' };
  }
}

/** Compiles the Java no-op against the platform's Gson (scripts/services/install-java-runtime.sh). */
function compileJavaNoop(): string {
  const dir = mkdtempSync(join(tmpdir(), 'whiskflow-bench-java-'));
  try {
    writeFileSync(join(dir, 'Noop.java'), 'import com.google.gson.JsonObject;\npublic class Noop {\n  public static JsonObject main(JsonObject args) { return new JsonObject(); }\n}\n');
    execFileSync('javac', ['-nowarn', '-cp', join(ROOT, '.tools', 'java', 'gson.jar'), '-d', dir, join(dir, 'Noop.java')], { stdio: 'pipe' });
    const zip = new AdmZip();
    zip.addFile('Noop.class', readFileSync(join(dir, 'Noop.class')));
    return zip.toBuffer().toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchRuntimes(ow: Client, platform: ChildPlatform, languages: readonly BenchLanguage[], warmInvokes: number, coldStarts: number): Promise<RuntimeBench[]> {
  let jar: string | undefined;
  const javaJar = (): string => (jar ??= compileJavaNoop());
  const results: RuntimeBench[] = [];
  for (const language of languages) {
    const cold = await coldStartsOf(ow, language, coldStarts, javaJar);
    const name = `bench-warm-${language}`;
    const exec = noopExec(language, -1, javaJar);
    const created = await ow.actions.create({ name, action: { exec } as never, overwrite: true }) as unknown as { exec: { kind: string } };
    try {
      for (let i = 0; i < 20; i += 1) await ow.actions.invoke({ name, blocking: true });
      const cpuBefore = childrenCpuMs(platform.pid, /pouchdb-server/)?.otherMs ?? Number.NaN;
      const latencies: number[] = [];
      for (let i = 0; i < warmInvokes; i += 1) {
        const started = performance.now();
        await ow.actions.invoke({ name, blocking: true });
        latencies.push(performance.now() - started);
      }
      const cpuAfter = childrenCpuMs(platform.pid, /pouchdb-server/)?.otherMs ?? Number.NaN;
      results.push({
        language,
        kind: created.exec.kind,
        cold,
        warm: { invokes: warmInvokes, clientLatencyMs: rounded(summarize(latencies)), containerCpuMsPerActivation: rounded({ v: (cpuAfter - cpuBefore) / Math.max(1, warmInvokes) }).v },
        containerRssBytes: containerRss(platform.pid, language),
      });
    } finally {
      await ow.actions.delete({ name }).catch(() => undefined);
    }
  }
  const nodeP50 = results.find((result) => result.language === 'nodejs')?.warm.clientLatencyMs.p50;
  for (const result of results) {
    if (nodeP50) result.warm.ratioToNodejsP50 = rounded({ v: result.warm.clientLatencyMs.p50 / nodeP50 }).v;
  }
  return results;
}

/** `count` cold starts of a fresh no-op action each (distinct code too, so that nothing keyed by code could serve a warm container). */
export async function coldStartsOf(ow: Client, language: BenchLanguage, count: number, javaJar: () => string = compileJavaNoop): Promise<RuntimeBench['cold']> {
  const latencies: number[] = [];
  const initTimes: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const name = `bench-cold-${language}-${process.pid}-${i}`;
    await ow.actions.create({ name, action: { exec: noopExec(language, i, javaJar) } as never, overwrite: true });
    try {
      const started = performance.now();
      const activation = await ow.actions.invoke({ name, blocking: true });
      latencies.push(performance.now() - started);
      const initTime = activation.annotations?.find((annotation) => annotation.key === 'initTime')?.value;
      if (typeof initTime === 'number') initTimes.push(initTime);
    } finally {
      await ow.actions.delete({ name });
    }
  }
  return { count, clientLatencyMs: rounded(summarize(latencies)), initTimeMs: rounded(summarize(initTimes)) };
}

/**
 * The launcher's RSS plus its parent's (the action proxy). Node.js actions run in the proxy itself:
 * the median proxy without a launcher child stands for them.
 */
function containerRss(platformPid: number, language: BenchLanguage): number | null {
  const processes = descendants(platformPid).map((pid) => ({ pid, command: commandLine(pid), ppid: parentOf(pid) }));
  const pattern = LAUNCHER[language];
  if (pattern) {
    const launcher = processes.find((process) => pattern.test(process.command));
    if (!launcher) return null;
    return (rssBytes(launcher.pid) ?? 0) + (launcher.ppid ? rssBytes(launcher.ppid) ?? 0 : 0);
  }
  const parents = new Set(processes.map((process) => process.ppid));
  const proxies = processes.filter((process) => /runtime\/proxy\.js/.test(process.command) && !parents.has(process.pid));
  const sizes = proxies.map((process) => rssBytes(process.pid) ?? 0).sort((a, b) => a - b);
  return sizes.length ? sizes[Math.floor(sizes.length / 2)] ?? null : null;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The target: each language's warm no-op p50 within 1.5x Node.js's. */
export function runtimeTargets(runtimes: readonly RuntimeBench[] | undefined): TargetVerdict[] {
  return (runtimes ?? []).filter((runtime) => runtime.language !== 'nodejs').map((runtime) =>
    target(`warm no-op invoke p50 of ${runtime.kind} against Node.js's`, '<= 1.5x', runtime.warm.ratioToNodejsP50 ?? null, (runtime.warm.ratioToNodejsP50 ?? Infinity) <= 1.5));
}

export function describeRuntime(runtime: RuntimeBench): string {
  return `${runtime.kind}: cold p50 ${runtime.cold.clientLatencyMs.p50} ms (init ${runtime.cold.initTimeMs.p50} ms), warm p50 ${runtime.warm.clientLatencyMs.p50} ms `
    + `(${runtime.warm.ratioToNodejsP50 ?? '?'}x Node.js), container CPU ${runtime.warm.containerCpuMsPerActivation} ms/act, RSS ${((runtime.containerRssBytes ?? 0) / 1048576).toFixed(1)} MB`;
}
