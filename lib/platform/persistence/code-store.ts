/**
 * Action code kept on disk instead of in memory. The entity store holds every entity's metadata in
 * memory (reads never touch CouchDB), but an action's code is needed only when a container starts or
 * a client asks for it (`GET ?code=true`): code over INLINE_CODE_BYTES is written here, named by its
 * SHA-256, and the in-memory entity keeps a CodeRef. CouchDB still stores the full document, so this
 * directory is a cache rebuilt at every start and removed at stop.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WhiskflowError } from '../../errors';

/** Code kept out of memory: its file's digest and its size in bytes. */
export interface CodeRef { digest: string; bytes: number }

/** Code up to this size stays in memory: small actions start without touching the disk. */
export const INLINE_CODE_BYTES = 64 * 1024;

/**
 * How long a file outlives its last reference: a container of the previous revision may still be
 * starting (it reads the code when it starts), and an update back to the same code reuses it.
 */
const RELEASE_GRACE_MS = 60_000;

export class CodeStore {
  private readonly references = new Map<string, number>();
  private readonly releases = new Map<string, NodeJS.Timeout>();

  /** The private directory, made under `parent` when the first large code arrives. */
  private dir: string | undefined;
  private making: Promise<string> | undefined;

  /** @param parent where the store makes its private directory (default: the system's temp directory) */
  constructor(private readonly parent: string = tmpdir()) {}

  /** Stores `code` (once per distinct content) and counts a reference to it. */
  async put(code: string): Promise<CodeRef> {
    const digest = createHash('sha256').update(code).digest('hex');
    const ref = { digest, bytes: Buffer.byteLength(code) };
    this.dir ??= await (this.making ??= mkdtemp(path.join(this.parent, 'whiskflow-code-')));
    const file = this.fileOf(ref);
    if (!this.references.has(digest) && !this.releases.has(digest) && !existsSync(file)) {
      // Written under a temporary name and renamed, so that a reader never sees half a file.
      const partial = `${file}.${process.pid}.partial`;
      await writeFile(partial, code);
      await rename(partial, file);
    }
    this.acquire(ref);
    return ref;
  }

  /** Counts one more reference to code already stored (an entity kept with its previous code). */
  acquire(ref: CodeRef): void {
    const timer = this.releases.get(ref.digest);
    if (timer) { clearTimeout(timer); this.releases.delete(ref.digest); }
    this.references.set(ref.digest, (this.references.get(ref.digest) ?? 0) + 1);
  }

  /** Drops a reference; the file goes once nothing has referred to it for a while. */
  release(ref: CodeRef): void {
    const count = (this.references.get(ref.digest) ?? 0) - 1;
    if (count > 0) { this.references.set(ref.digest, count); return; }
    this.references.delete(ref.digest);
    if (this.releases.has(ref.digest)) return;
    const timer = setTimeout(() => {
      this.releases.delete(ref.digest);
      unlink(this.fileOf(ref)).catch(() => undefined);
    }, RELEASE_GRACE_MS);
    timer.unref();
    this.releases.set(ref.digest, timer);
  }

  async read(ref: CodeRef): Promise<string> {
    try {
      return await readFile(this.fileOf(ref), 'utf8');
    } catch (error) {
      throw this.missing(ref, error);
    }
  }

  /** For the runtime, which reads an action's code synchronously when a container starts. */
  readSync(ref: CodeRef): string {
    try {
      return readFileSync(this.fileOf(ref), 'utf8');
    } catch (error) {
      throw this.missing(ref, error);
    }
  }

  async close(): Promise<void> {
    for (const timer of this.releases.values()) clearTimeout(timer);
    this.releases.clear();
    this.references.clear();
    const dir = this.dir ?? await this.making?.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  private fileOf(ref: CodeRef): string {
    if (!/^[0-9a-f]{64}$/.test(ref.digest)) throw new WhiskflowError('INTERNAL', `not a code digest: ${ref.digest}`);
    if (!this.dir) throw new WhiskflowError('ENTITY_NOT_FOUND', `no action code is stored yet (${ref.digest})`, { digest: ref.digest });
    return path.join(this.dir, ref.digest);
  }

  private missing(ref: CodeRef, error: unknown): WhiskflowError {
    return new WhiskflowError('ENTITY_NOT_FOUND', `the action code ${ref.digest} (${ref.bytes} bytes) is no longer stored: ${(error as Error).message}`, { digest: ref.digest });
  }
}
