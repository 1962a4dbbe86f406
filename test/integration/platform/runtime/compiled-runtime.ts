/**
 * Compiles the runtime's current sources (the proxy included) into a temp dir, so that the tests run
 * containers on the code under test rather than on whatever `dist/` held from the last build.
 * Transpile only (no type check): `npx tsc -p tsconfig.json --noEmit` does that.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
/** Every file of the runtime, its subfolders (launchers of the other languages) included. */
const runtimeFiles = (fs.readdirSync(path.join(repoRoot, 'lib/platform/runtime'), { recursive: true }) as string[])
  .map((file) => `lib/platform/runtime/${file}`)
  .filter((file) => fs.statSync(path.join(repoRoot, file)).isFile());
const sources = ['lib/errors.ts', ...runtimeFiles.filter((file) => file.endsWith('.ts'))];
/** The launchers' own sources (Python, Go), which the compiled runtime finds next to it. */
const assets = runtimeFiles.filter((file) => !file.endsWith('.ts') && !file.endsWith('.md'));

export interface CompiledRuntime {
  root: string;
  proxyPath: string;
  indexPath: string;
  remove(): void;
}

export function compileRuntime(): CompiledRuntime {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'whiskflow-runtime-test-'));
  // Readable by the containers' user (the platform switches to an unprivileged one when it is root).
  fs.chmodSync(root, 0o755);
  for (const source of sources) {
    const output = ts.transpileModule(fs.readFileSync(path.join(repoRoot, source), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: source,
    });
    const target = path.join(root, source.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, output.outputText);
  }
  for (const asset of assets) {
    fs.mkdirSync(path.dirname(path.join(root, asset)), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, asset), path.join(root, asset));
  }
  return {
    root,
    proxyPath: path.join(root, 'lib/platform/runtime/proxy.js'),
    indexPath: path.join(root, 'lib/platform/runtime/index.js'),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
