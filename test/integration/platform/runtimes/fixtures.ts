/**
 * Action code for the Python, Java and Go runtime suites: zips made in memory, jars compiled with the
 * machine's JDK against the Gson that the platform's Java runtime provides (.tools/java, installed by
 * scripts/services/install-java-runtime.sh), Go binaries built with the machine's Go. A missing JDK
 * or Go fails these suites: the platform must run those kinds here.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import AdmZip from 'adm-zip';

const ROOT = path.resolve(__dirname, '../../../..');
export const GSON_JAR = path.join(ROOT, '.tools', 'java', 'gson.jar');

/** A zip of the given files (path -> content), base64 as OpenWhisk takes binary code. */
export function zipBase64(files: Record<string, string | Buffer>): string {
  const zip = new AdmZip();
  for (const [name, content] of Object.entries(files)) zip.addFile(name, Buffer.isBuffer(content) ? content : Buffer.from(content));
  return zip.toBuffer().toString('base64');
}

/** Compiles Java sources (class name -> source) into a jar (with Main-Class when given); returns its bytes. */
export function javaJar(sources: Record<string, string>, mainClass?: string): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whiskflow-jar-'));
  try {
    const files = Object.entries(sources).map(([name, source]) => {
      const file = path.join(dir, `${name}.java`);
      fs.writeFileSync(file, source);
      return file;
    });
    execFileSync('javac', ['-nowarn', '-cp', GSON_JAR, '-d', path.join(dir, 'classes'), ...files], { stdio: 'pipe' });
    const zip = new AdmZip();
    if (mainClass) zip.addFile('META-INF/MANIFEST.MF', Buffer.from(`Manifest-Version: 1.0\nMain-Class: ${mainClass}\n`));
    zip.addLocalFolder(path.join(dir, 'classes'));
    return zip.toBuffer();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds Go sources (a package main with the launcher already in) into a Linux executable. */
export function goExecutable(files: Record<string, string>): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whiskflow-go-'));
  try {
    for (const [name, source] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), source);
    const env = { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod', CGO_ENABLED: '0', GOCACHE: path.join(os.tmpdir(), 'whiskflow-go-build-cache') };
    execFileSync('go', ['mod', 'init', 'exec'], { cwd: dir, env, stdio: 'pipe' });
    execFileSync('go', ['build', '-o', 'exec'], { cwd: dir, env, stdio: 'pipe' });
    return fs.readFileSync(path.join(dir, 'exec'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The launcher our Go runtime compiles with an action (the same protocol as OpenWhisk's Go launcher). */
export function goLauncher(): string {
  return fs.readFileSync(path.join(ROOT, 'lib/platform/runtime/go/launcher.go.tmpl'), 'utf8');
}

/** Writes files into a fresh temp dir for the CLI tools; returns the dir. */
export function tempFiles(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whiskflow-runtime-files-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** True while the process exists and is not a zombie (an orphan's zombie stays until init reaps it). */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
