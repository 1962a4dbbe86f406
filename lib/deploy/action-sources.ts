/**
 * What an action file holds, by language: its kind (from the extension, or given) and its entry
 * points, each deployed as one action. JavaScript: the exported functions. Python: the top-level
 * functions not starting with `_` (plain OpenWhisk Python actions, `main` = the function). Go: the
 * top-level `func X(map[string]interface{}) map[string]interface{}` whose name OpenWhisk's Go
 * runtime reaches from a main (it capitalizes main: `Sum` from `sum`). A jar: one action, main =
 * its manifest's Main-Class.
 */
import { readFileSync } from 'fs';
import { basename, extname } from 'path';
import { InvalidInputError } from '../errors';

export interface ActionSource {
  /** As sent to OpenWhisk: text, or base64 for a jar or zip. */
  code: string;
  kind: string;
  /** `main` of each action, by action name (without the package). */
  mains: Record<string, string>;
}

const KIND_BY_EXTENSION: Record<string, string> = { '.js': 'nodejs:default', '.py': 'python:default', '.go': 'go:default', '.jar': 'java:default' };

export function readActionSource(file: string, kind?: string): ActionSource {
  const extension = extname(file).toLowerCase();
  const family = (kind ?? KIND_BY_EXTENSION[extension] ?? '').split(':')[0];
  if (!family) {
    throw new InvalidInputError(`cannot tell the kind of action file ${file}: use a .js, .py, .go or .jar file, or give the kind (e.g. python:3.11)`, { file });
  }
  const resolvedKind = kind ?? KIND_BY_EXTENSION[extension] ?? `${family}:default`;
  if (family === 'java') {
    const code = readFileSync(file);
    return { code: code.toString('base64'), kind: resolvedKind, mains: { [basename(file, extension)]: mainClassOf(code, file) } };
  }
  const text = readFileSync(file, 'utf8');
  const names = family === 'nodejs' ? exportedFunctions(file) : family === 'python' ? pythonFunctions(text) : family === 'go' ? goFunctions(text) : [];
  if (names.length === 0) throw new InvalidInputError(`no action function found in ${file} (kind ${resolvedKind})`, { file, kind: resolvedKind });
  return { code: text, kind: resolvedKind, mains: Object.fromEntries(names.map((name) => [name, name])) };
}

function exportedFunctions(file: string): string[] {
  const exported = require(file) as Record<string, unknown>;
  return Object.keys(exported).filter((name) => typeof exported[name] === 'function');
}

function pythonFunctions(text: string): string[] {
  return [...text.matchAll(/^def\s+([A-Za-z]\w*)\s*\(/gm)].map((match) => match[1]!);
}

/** Action names are the lowercased function names; the runtime capitalizes them back. */
function goFunctions(text: string): string[] {
  const signature = /^func\s+([A-Z]\w*)\s*\(\s*\w+\s+map\[string\]interface\{\}\s*\)\s*map\[string\]interface\{\}/gm;
  return [...text.matchAll(signature)]
    .map((match) => match[1]!)
    .filter((name) => name.charAt(0) + name.slice(1).toLowerCase() === name)
    .map((name) => name.toLowerCase());
}

function mainClassOf(jar: Buffer, file: string): string {
  const AdmZip = require('adm-zip') as typeof import('adm-zip');
  const manifest = new AdmZip(jar).getEntry('META-INF/MANIFEST.MF')?.getData().toString('utf8') ?? '';
  const mainClass = /^Main-Class:\s*(\S+)/m.exec(manifest)?.[1];
  if (!mainClass) throw new InvalidInputError(`${file} names no Main-Class in its manifest: it is the action's main class`, { file });
  return mainClass;
}
