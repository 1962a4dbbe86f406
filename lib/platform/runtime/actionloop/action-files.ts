/** Writing an action's code into its container's directory: plain text as one file, a zip extracted. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopFailure } from './protocol';

/** The runtimes' text when a zip cannot be opened. */
const BAD_ARCHIVE = 'There was an error uncompressing the action archive.';

export function extractZip(code: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  try {
    // Loaded lazily: only zip actions pay for it.
    const AdmZip = require('adm-zip') as typeof import('adm-zip');
    new AdmZip(Buffer.from(code, 'base64')).extractAllTo(dir, true, true);
  } catch {
    throw new LoopFailure(502, BAD_ARCHIVE);
  }
}

export function writeSource(dir: string, file: string, code: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, file);
  fs.writeFileSync(target, code);
  return target;
}

/** The environment of a launcher: the proxy's own (which /init's env has amended), minus Node.js's. */
export function launcherEnvironment(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== 'NODE_PATH' && key !== 'NODE_CHANNEL_FD' && key !== 'NODE_CHANNEL_SERIALIZATION_MODE') env[key] = value;
  }
  return { ...env, ...extra };
}
