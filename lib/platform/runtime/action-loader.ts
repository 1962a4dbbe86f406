/**
 * Loads an action's entry point inside a container, as apache/openwhisk-runtime-nodejs `runner.js`
 * `initializeActionHandler` does, but without `eval`: plain code is written to a file in the
 * container's work directory and required as a CommonJS module (so stack traces name a file and
 * relative requires work); a zip is extracted there and its `package.json` main (or index.js) is
 * required. Failures are rejected with the runtime's own texts, which end up in the activation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';

/**
 * A failure the runtime reports by its message alone (it rejects with plain strings); other errors,
 * such as a SyntaxError in the action's code, are reported with their stack.
 */
export class InitFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InitFailure';
  }
}

export type ActionHandler = (params: Record<string, unknown>) => unknown;

export interface InitMessage {
  name?: string;
  main: string;
  code: string;
  binary?: boolean;
}

/** Where a plain-code action leaves its entry point; a symbol so that user code cannot clash with it. */
const ENTRY_KEY = Symbol.for('whiskflow.runtime.actionEntry');
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export async function loadActionHandler(message: InitMessage, workDir: string): Promise<ActionHandler> {
  const handler = message.binary ? loadZipAction(message, workDir) : loadCodeAction(message, workDir);
  if (typeof handler !== 'function') {
    throw new InitFailure(`Action entrypoint '${message.main}' is not a function.`);
  }
  return handler as ActionHandler;
}

function loadCodeAction(message: InitMessage, workDir: string): unknown {
  if (!IDENTIFIER.test(message.main)) throw new InitFailure('Name of main function is not valid.');
  const file = path.join(workDir, 'action.js');
  // Like the runtime, `main` may be a top-level function or an export; the footer, appended after
  // a newline so that line numbers in stack traces still match the user's code, resolves either.
  const footer = [
    '',
    `;globalThis[Symbol.for(${JSON.stringify(ENTRY_KEY.description)})] = (function () {`,
    `  try { return ${message.main}; } catch (e) {`,
    `    if (e && e.name === 'ReferenceError') return module.exports.${message.main} || exports.${message.main};`,
    '    throw e;',
    '  }',
    '})();',
  ].join('\n');
  // Compile the user's code alone first, so that a syntax error points at their code, not at the footer.
  vm.compileFunction(message.code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
  fs.writeFileSync(file, message.code + footer);
  require(file);
  const entry: unknown = (globalThis as Record<symbol, unknown>)[ENTRY_KEY];
  delete (globalThis as Record<symbol, unknown>)[ENTRY_KEY];
  return entry;
}

function loadZipAction(message: InitMessage, workDir: string): unknown {
  const moduleDir = path.join(workDir, 'action');
  try {
    // Loaded lazily: only zip actions pay for it, and plain containers start faster.
     
    const AdmZip = require('adm-zip') as typeof import('adm-zip');
    new AdmZip(Buffer.from(message.code, 'base64')).extractAllTo(moduleDir, true);
  } catch {
    throw new InitFailure('There was an error uncompressing the action archive.');
  }
  const [file, exportName] = splitMainHandler(message.main);
  if (exportName === undefined) throw new InitFailure('Name of main function is not valid.');
  if (file === undefined && !fs.existsSync(path.join(moduleDir, 'package.json')) && !fs.existsSync(path.join(moduleDir, 'index.js'))) {
    throw new InitFailure('Zipped actions must contain either package.json or index.js at the root.');
  }
  // The runtime runs zip actions from their own directory, so relative file reads work.
  process.chdir(moduleDir);
  const exported = require(file === undefined ? moduleDir : path.join(moduleDir, file)) as Record<string, unknown>;
  return exported[exportName];
}

/** `main` or `file.main`, as the runtime's `splitMainHandler` reads a zip action's entry point. */
function splitMainHandler(main: string): [string | undefined, string | undefined] {
  const match = /^([^.]+)$|^([^.]+)\.(.+)$/.exec(main);
  if (!match) return [undefined, undefined];
  return match[1] !== undefined ? [undefined, match[1]] : [match[2], match[3]];
}
