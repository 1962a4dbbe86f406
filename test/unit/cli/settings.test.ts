/**
 * Where the CLI finds the platform (lib/cli/settings.ts, lib/cli/commands/connection.ts): flag >
 * environment > wsk properties file > `whiskflow local`'s file > default, each setting on its own,
 * with the source named. The properties file is a test-owned WSK_CONFIG_FILE, never ~/.wskprops.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsOf } from '../../../lib/cli/commands/connection';
import { LOCAL_PLATFORM_FILE, readLocalPlatformFile, writeLocalPlatformFile } from '../../../lib/cli/local-platform-file';
import { GUEST_AUTH, LOCAL_APIHOST, resolveSettings, sameHost, type SettingsSources } from '../../../lib/cli/settings';
import { parseWskprops, withWskprops, wskpropsPath } from '../../../lib/cli/wskprops';

const sources = (overrides: Partial<SettingsSources>): SettingsSources => ({ flags: {}, env: {}, wskpropsPath: '/t/wskprops', localPlatformPath: '/t/data/local-platform.json', ...overrides });
const props = { APIHOST: 'https://props:443', AUTH: 'p:p', NAMESPACE: 'props-ns', COUCHDB_URL: 'http://props-couch:5984' };
const env = { WHISKFLOW_APIHOST: 'http://env:1', WHISKFLOW_AUTH: 'e:e', WHISKFLOW_NAMESPACE: 'env-ns', COUCHDB_URL: 'http://env-couch:5984' };

describe('connection settings', () => {
  it('takes a flag over the environment over the properties file, and names the source', () => {
    const resolved = resolveSettings(sources({ flags: { apihost: 'http://flag:2', store: 'http://flag-couch:5984' }, env, wskprops: props }));
    expect(resolved.apihost).toEqual({ value: 'http://flag:2', source: '--apihost' });
    expect(resolved.auth).toEqual({ value: 'e:e', source: 'WHISKFLOW_AUTH' });
    expect(resolved.namespace).toEqual({ value: 'env-ns', source: 'WHISKFLOW_NAMESPACE' });
    expect(resolved.store).toEqual({ value: { kind: 'couchdb', url: 'http://flag-couch:5984', dbname: 'whiskflow' }, source: '--store' });
  });

  it('reads everything from the properties file alone', () => {
    const resolved = resolveSettings(sources({ wskprops: props }));
    expect(resolved.apihost).toEqual({ value: 'https://props:443', source: '/t/wskprops (APIHOST)' });
    expect(resolved.auth.value).toBe('p:p');
    expect(resolved.namespace.value).toBe('props-ns');
    expect(resolved.store).toEqual({ value: { kind: 'couchdb', url: 'http://props-couch:5984', dbname: 'whiskflow' }, source: '/t/wskprops (COUCHDB_URL)' });
  });

  it('falls back to whiskflow local\'s apihost and guest key, but never guesses a store', () => {
    const resolved = resolveSettings(sources({}));
    expect(resolved.apihost).toEqual({ value: LOCAL_APIHOST, source: 'default (whiskflow local)' });
    expect(resolved.auth.value).toBe(GUEST_AUTH);
    expect(resolved.namespace.value).toBe('_');
    expect(resolved.store).toBeUndefined();
    expect(resolved.lookedAt).toContain('/t/wskprops (absent)');
  });

  it('takes the store whiskflow local recorded only for the apihost it recorded it for', () => {
    const localPlatform = { apihost: 'http://127.0.0.1:3233', auth: GUEST_AUTH, namespace: 'guest', couchUrl: 'http://127.0.0.1:41000', dbname: 'whiskflow' };
    expect(resolveSettings(sources({ localPlatform })).store).toEqual({ value: { kind: 'couchdb', url: 'http://127.0.0.1:41000', dbname: 'whiskflow' }, source: '/t/data/local-platform.json' });
    expect(resolveSettings(sources({ localPlatform, flags: { apihost: 'http://localhost:3233/' } })).store?.value).toMatchObject({ url: 'http://127.0.0.1:41000' });
    expect(resolveSettings(sources({ localPlatform, flags: { apihost: 'http://127.0.0.1:4000' } })).store).toBeUndefined();
  });

  it('reads Cloudant with IAM or legacy credentials, before COUCHDB_URL', () => {
    const iam = resolveSettings(sources({ env: { ...env, CLOUDANT_URL: 'https://acct.cloudantnosqldb.appdomain.cloud', CLOUDANT_APIKEY: 'k', WHISKFLOW_DB: 'wf' } }));
    expect(iam.store).toEqual({ value: { kind: 'cloudant', url: 'https://acct.cloudantnosqldb.appdomain.cloud', dbname: 'wf', iamApiKey: 'k' }, source: 'CLOUDANT_URL' });
    const legacy = resolveSettings(sources({ env: { CLOUDANT_URL: 'https://acct.cloudant.com', CLOUDANT_USERNAME: 'u', CLOUDANT_PASSWORD: 'p' } }));
    expect(legacy.store?.value).toEqual({ kind: 'cloudant', url: 'https://acct.cloudant.com', dbname: 'whiskflow', username: 'u', password: 'p' });
  });

  it('reads the deprecated WHISK_APIHOST and WHISK_AUTH after the current names, and says they are deprecated', () => {
    const old = resolveSettings(sources({ env: { WHISK_APIHOST: 'http://old:1', WHISK_AUTH: 'o:o' } }));
    expect(old.apihost).toEqual({ value: 'http://old:1', source: 'WHISK_APIHOST' });
    expect(old.deprecated).toEqual(['WHISK_APIHOST (use WHISKFLOW_APIHOST)', 'WHISK_AUTH (use WHISKFLOW_AUTH)']);
    const both = resolveSettings(sources({ env: { WHISK_APIHOST: 'http://old:1', WHISKFLOW_APIHOST: 'http://new:1' } }));
    expect(both.apihost.value).toBe('http://new:1');
    expect(both.deprecated).toEqual([]);
  });

  it('takes `--store memory` as the in-process store and ignores blank values', () => {
    expect(resolveSettings(sources({ flags: { store: 'memory' } })).store?.value).toEqual({ kind: 'memory' });
    expect(resolveSettings(sources({ flags: { apihost: ' ' }, env: { WHISKFLOW_APIHOST: '' }, wskprops: props })).apihost.value).toBe('https://props:443');
  });

  it('tells one platform from another by host and port', () => {
    expect(sameHost('127.0.0.1:3233', 'https://localhost:3233')).toBe(true);
    expect(sameHost('http://127.0.0.1:3233', 'http://127.0.0.1:3234')).toBe(false);
    expect(sameHost('openwhisk.example.com', 'https://openwhisk.example.com:443/')).toBe(true);
  });
});

describe('the files the settings come from', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'whiskflow-settings-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the properties file where wsk does: WSK_CONFIG_FILE, else ~/.wskprops', () => {
    expect(wskpropsPath({ WSK_CONFIG_FILE: '/x/props', HOME: '/home/u' })).toBe('/x/props');
    expect(wskpropsPath({ HOME: '/home/u' })).toBe('/home/u/.wskprops');
  });

  it('parses KEY=VALUE lines and sets keys keeping the other lines', () => {
    expect(parseWskprops('# c\nAPIHOST=https://h:1\n\nAUTH = a:b=c\nnoise\n')).toEqual({ APIHOST: 'https://h:1', AUTH: 'a:b=c' });
    expect(withWskprops('APIHOST=old\nCERT=/c.pem\n', { APIHOST: 'new', COUCHDB_URL: 'http://c' })).toBe('APIHOST=new\nCERT=/c.pem\nCOUCHDB_URL=http://c\n');
  });

  it('reads a test-owned WSK_CONFIG_FILE and whiskflow local\'s file through the environment', () => {
    const file = join(dir, 'props');
    writeFileSync(file, 'APIHOST=http://127.0.0.1:5999\nAUTH=x:y\n');
    const data = join(dir, 'data');
    const written = writeLocalPlatformFile(data, { apihost: 'http://127.0.0.1:5999', auth: 'x:y', namespace: 'guest', couchUrl: 'http://127.0.0.1:6001', dbname: 'whiskflow' });
    expect(written).toBe(join(data, LOCAL_PLATFORM_FILE));
    expect(readLocalPlatformFile(written)?.couchUrl).toBe('http://127.0.0.1:6001');
    const resolved = settingsOf({}, { WSK_CONFIG_FILE: file, WHISKFLOW_DATA_DIR: data });
    expect(resolved.apihost).toEqual({ value: 'http://127.0.0.1:5999', source: `${file} (APIHOST)` });
    expect(resolved.store).toEqual({ value: { kind: 'couchdb', url: 'http://127.0.0.1:6001', dbname: 'whiskflow' }, source: written });
  });

  it('refuses a damaged local platform file by name', () => {
    const file = join(dir, LOCAL_PLATFORM_FILE);
    writeFileSync(file, '{"apihost":');
    expect(() => readLocalPlatformFile(file)).toThrow(`${file} is not JSON`);
    expect(readFileSync(file, 'utf8')).toBe('{"apihost":');
  });
});
