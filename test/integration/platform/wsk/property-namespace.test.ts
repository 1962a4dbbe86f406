/**
 * `wsk property` reading a wskprops file (no flags), and `wsk namespace list/get`, against the local platform.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from '../../../helpers/openwhisk-cli';
import { useWsk } from './support';

const suite = useWsk();

/** wsk with only a config file (`WSK_CONFIG_FILE`): what a user gets after `whiskflow local --write-wskprops`. */
function wskWithConfig(config: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(toolPath('wsk'), args, { env: { ...process.env, WSK_CONFIG_FILE: config }, cwd: suite.dir() }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function propsFile(): string {
  const file = join(suite.dir(), 'wskprops');
  writeFileSync(file, `APIHOST=${suite.platform.apihost}\nAUTH=${suite.platform.auth}\nNAMESPACE=guest\nAPIVERSION=v1\n`);
  return file;
}

test('property get shows the config file\'s host, key and API version, and the namespace the platform names', async () => {
  const result = await wskWithConfig(propsFile(), 'property', 'get');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(new RegExp(`whisk API host\\s+${suite.platform.apihost.replace(/[.]/g, '\\.')}\\n`));
  expect(result.stdout).toContain(`whisk auth\t\t${suite.platform.auth}\n`);
  // wsk asks the platform (GET /namespaces) for this line.
  expect(result.stdout).toContain('whisk namespace\t\tguest\n');
  expect(result.stdout).toContain('whisk API version\tv1\n');
  expect(result.stdout).toMatch(/whisk API build\t\t/);
});

test('property get of single properties, raw', async () => {
  const config = propsFile();
  expect((await wskWithConfig(config, 'property', 'get', '--apihost', '-o', 'raw')).stdout).toBe(`${suite.platform.apihost}\n`);
  expect((await wskWithConfig(config, 'property', 'get', '--namespace', '-o', 'raw')).stdout).toBe('guest\n');
  expect((await wskWithConfig(config, 'property', 'get', '--auth', '-o', 'raw')).stdout).toBe(`${suite.platform.auth}\n`);
  // The build comes from GET /api/v1; wsk fails with "Unable to obtain API build information" when it cannot.
  const build = await wskWithConfig(config, 'property', 'get', '--apibuild');
  expect(build.stderr).toBe('');
  expect(build.code).toBe(0);
});

test('commands work from the config file alone', async () => {
  const result = await wskWithConfig(propsFile(), 'action', 'list');
  expect(result.code).toBe(0);
  expect(result.stdout.split('\n')[0]).toBe('actions');
});

test('a wrong key is refused with 401 (wsk exits 145)', async () => {
  const file = join(suite.dir(), 'badprops');
  writeFileSync(file, `APIHOST=${suite.platform.apihost}\nAUTH=23bc46b1-71f6-4ed5-8c54-816aa4f8c502:wrong\n`);
  const result = await wskWithConfig(file, 'action', 'list');
  expect(result.code).toBe(401 - 256);
  expect(result.stderr).toContain('The supplied authentication is invalid');
});

test('namespace list names the key\'s namespace', async () => {
  const out = await suite.run('namespace', 'list');
  expect(out).toBe('namespaces\nguest\n');
});

test('namespace get lists the entities of the namespace by collection', async () => {
  await suite.run('package', 'create', 'ns-pkg');
  await suite.run('action', 'create', 'ns-action', suite.file('ns.js', 'function main(p) { return p; }'));
  await suite.run('trigger', 'create', 'ns-trigger');
  await suite.run('rule', 'create', 'ns-rule', 'ns-trigger', 'ns-action');
  const out = await suite.run('namespace', 'get');
  const sections = out.split(/\n(?=packages|actions|triggers|rules)/);
  expect(sections[0]).toMatch(/^Entities in namespace: /);
  expect(sections.find((section) => section.startsWith('packages'))).toContain('/guest/ns-pkg');
  expect(sections.find((section) => section.startsWith('actions'))).toContain('/guest/ns-action');
  expect(sections.find((section) => section.startsWith('triggers'))).toContain('/guest/ns-trigger');
  expect(sections.find((section) => section.startsWith('rules'))).toMatch(/\/guest\/ns-rule\s+private\s+active/);
});

test('another namespace is forbidden (403, wsk exits 147)', async () => {
  const result = await suite.attempt('action', 'list', '/whisk.system');
  expect(result.code).toBe(403 - 256);
  expect(result.stderr).toContain('The supplied authentication is not authorized to access this resource.');
});
