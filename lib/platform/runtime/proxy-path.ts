/**
 * Finds the compiled action proxy. Containers run plain JavaScript, so when the platform itself runs
 * from TypeScript sources (ts-jest, ts-node) the proxy still comes from `dist/` (`npx tsc -p
 * tsconfig.build.json` puts it there).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ServiceMissingError } from '../../errors';

const COMPILED_FROM_ROOT = path.join('dist', 'lib', 'platform', 'runtime', 'proxy.js');

export function resolveProxyPath(): string {
  const candidates = [
    path.join(__dirname, 'proxy.js'),
    // __dirname is <repo>/lib/platform/runtime when running from sources.
    path.resolve(__dirname, '..', '..', '..', COMPILED_FROM_ROOT),
  ];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (found === undefined) {
    throw new ServiceMissingError('the compiled action proxy', `build it with \`npx tsc -p tsconfig.build.json\` (looked in ${candidates.join(', ')})`);
  }
  return found;
}

/** whiskflow's own node_modules, which actions see as OpenWhisk's preinstalled packages (`openwhisk`, ...). */
export function resolveActionNodePath(): string {
  const openwhiskMain = require.resolve('openwhisk');
  // <...>/node_modules/openwhisk/lib/main.js -> <...>/node_modules
  const marker = `${path.sep}node_modules${path.sep}`;
  const index = openwhiskMain.lastIndexOf(marker);
  return index >= 0 ? openwhiskMain.slice(0, index + marker.length - 1) : path.dirname(openwhiskMain);
}
