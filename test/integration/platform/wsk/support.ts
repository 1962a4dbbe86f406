/**
 * The real `wsk` against a suite's local platform: output as text or as the JSON wsk prints after its
 * `ok: ...` line, exit codes for failures (wsk exits with the HTTP status minus 256: 404 → 148), and a
 * private working directory for the files actions are created from.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { ToolResult, runTool } from '../../../helpers/openwhisk-cli';
import { usePlatform, SuitePlatform } from '../../../helpers/local-platform';

export interface WskSuite extends SuitePlatform {
  /** `wsk ...`; resolves with stdout, fails on a non-zero exit. */
  run(...args: string[]): Promise<string>;
  /** `wsk ...` that must print `ok: ...` and then one JSON document, returned parsed. */
  json(...args: string[]): Promise<any>;
  /** `wsk ...` whatever its exit code. */
  attempt(...args: string[]): Promise<ToolResult>;
  /** Writes a file into the suite's working directory; returns its path. */
  file(name: string, content: string | Buffer): string;
  /** The suite's working directory (wsk runs there, so `--save` writes there). */
  dir(): string;
}

export function useWsk(): WskSuite {
  const suite = usePlatform();
  let workDir: string | undefined;
  beforeAll(() => { workDir = mkdtempSync(join(tmpdir(), 'whiskflow-wsk-')); });
  afterAll(() => { if (workDir) rmSync(workDir, { recursive: true, force: true }); });
  const dir = () => {
    if (!workDir) throw new Error('the wsk suite is used before its beforeAll hook ran');
    return workDir;
  };
  const attempt = (...args: string[]) => runTool('wsk', args, suite.platform, { cwd: dir() });
  const run = async (...args: string[]) => {
    const result = await attempt(...args);
    if (result.code !== 0) throw new Error(`wsk ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    return result.stdout;
  };
  return {
    ...suite,
    run,
    json: async (...args: string[]) => parseAfterOk(await run(...args)),
    attempt,
    file: (name, content) => {
      const path = join(dir(), name);
      writeFileSync(path, content);
      return path;
    },
    dir,
  };
}

/** The JSON document wsk prints after its `ok: ...` line (or alone, e.g. `--result`). */
export function parseAfterOk(stdout: string): any {
  const start = stdout.search(/^[{[]/m);
  if (start < 0) throw new Error(`no JSON in wsk output: ${stdout}`);
  return JSON.parse(stdout.slice(start));
}

/** A zip action: package.json naming `lib.js`, whose export `entry` is the entry point. */
export function zipAction(source: string, main = 'lib.js'): Buffer {
  const zip = new AdmZip();
  zip.addFile('package.json', Buffer.from(JSON.stringify({ name: 'zipped', main })));
  zip.addFile(main, Buffer.from(source));
  return zip.toBuffer();
}

/** Parameters by key: wsk builds them from a Go map, so their order differs from run to run. */
export function byKey(parameters: { key: string; value: unknown }[]): { key: string; value: unknown }[] {
  return [...parameters].sort((a, b) => a.key.localeCompare(b.key));
}

export function annotationOf(entity: { annotations: { key: string; value: unknown }[] }, key: string): unknown {
  return entity.annotations.find((item) => item.key === key)?.value;
}

