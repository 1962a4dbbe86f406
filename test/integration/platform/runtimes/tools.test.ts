/**
 * The kinds through the real Apache tools: `wsk` creates and invokes Python, Java and Go actions
 * from files (kind from the extension, as wsk infers it), shows the API build, and is refused kinds
 * this machine cannot run; `wskdeploy` deploys a manifest mixing Node.js, Python, Java and Go
 * actions, every one of which then answers. `GET /api/v1` lists exactly the kinds that run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTool, runToolOk, wsk } from '../../../helpers/openwhisk-cli';
import { raw } from '../support';
import { usePlatform } from '../../../helpers/local-platform';
import { javaJar, tempFiles } from './fixtures';
import { invokeRecord } from './invoke';

jest.setTimeout(240_000);

const { platform, ow } = usePlatform();

const PY = 'def main(args):\n    return {"lang": "python", "name": args.get("name")}\n';
const GO = 'package main\n\nfunc Main(args map[string]interface{}) map[string]interface{} {\n\treturn map[string]interface{}{"lang": "go", "name": args["name"]}\n}\n';
const JS = 'function main(args) { return { lang: "nodejs", name: args.name }; }\n';
const JAVA = `
import com.google.gson.JsonObject;
public class Lang {
    public static JsonObject main(JsonObject args) {
        JsonObject response = new JsonObject();
        response.addProperty("lang", "java");
        response.add("name", args.get("name"));
        return response;
    }
}`;

let dir: string;
beforeAll(() => {
  dir = tempFiles({ 'lang.py': PY, 'lang.go': GO, 'lang.js': JS, 'lang.jar': javaJar({ Lang: JAVA }, 'Lang') });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('GET /api/v1', () => {
  it('answers build and buildno, and lists exactly the kinds that run here, one default per language', async () => {
    const info = await raw(platform, 'GET', '/api/v1');
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ build: expect.any(String), buildno: expect.stringMatching(/^whiskflow-/), api_version_path: 'v1' });
    const runtimes = info.body.runtimes as Record<string, { kind: string; default: boolean }[]>;
    expect(Object.keys(runtimes).sort()).toEqual(['go', 'java', 'nodejs', 'python']);
    expect(runtimes['nodejs']!.map((kind) => kind.kind)).toEqual([`nodejs:${process.versions.node.split('.')[0]}`]);
    for (const kinds of Object.values(runtimes)) expect(kinds.filter((kind) => kind.default)).toHaveLength(1);
    const build = await runToolOk('wsk', ['property', 'get', '--apibuild'], platform);
    expect(build).toContain(info.body.build as string);
  });

  it('refuses kinds that do not run here with a 400 naming the kinds that do', async () => {
    for (const kind of ['ruby:2.5', 'nodejs:18', 'python:2', 'swift:default']) {
      const refused = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/refused', { exec: { kind, code: 'x' } });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toContain(`kind '${kind}' is not supported`);
      expect(refused.body.error).toContain('python:default');
    }
    const result = await runTool('wsk', ['action', 'create', 'refused', path.join(dir, 'lang.py'), '--kind', 'ruby:2.5'], platform);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("kind 'ruby:2.5' is not supported");
  });
});

describe('wsk', () => {
  it('creates Python, Go and Java actions from files (kind from the extension), updates and invokes them', async () => {
    await wsk(platform, 'action', 'create', 'wsk-py', path.join(dir, 'lang.py'));
    await wsk(platform, 'action', 'create', 'wsk-go', path.join(dir, 'lang.go'));
    await wsk(platform, 'action', 'create', 'wsk-java', path.join(dir, 'lang.jar'), '--main', 'Lang');
    for (const [name, lang] of [['wsk-py', 'python'], ['wsk-go', 'go'], ['wsk-java', 'java']] as const) {
      const result = JSON.parse(await wsk(platform, 'action', 'invoke', name, '-r', '-p', 'name', 'cli')) as unknown;
      expect(result).toEqual({ lang, name: 'cli' });
    }
    // `wsk action get` prints "ok: got action ..." before the JSON.
    const described = await wsk(platform, 'action', 'get', 'wsk-py');
    expect(JSON.parse(described.slice(described.indexOf('{'))).exec.kind).toMatch(/^python:3\.\d+$/);
    await wsk(platform, 'action', 'update', 'wsk-py', path.join(dir, 'lang.py'), '--kind', 'python:3', '-p', 'name', 'default');
    expect(JSON.parse(await wsk(platform, 'action', 'invoke', 'wsk-py', '-r'))).toEqual({ lang: 'python', name: 'default' });
  });
});

describe('wskdeploy', () => {
  it('deploys a manifest mixing Node.js, Python, Java and Go actions, and every action answers', async () => {
    fs.writeFileSync(path.join(dir, 'manifest.yaml'), [
      'packages:',
      '  polyglot:',
      '    actions:',
      '      node:',
      '        function: lang.js',
      '        runtime: nodejs:default',
      '      python:',
      '        function: lang.py',
      '        runtime: python:default',
      '      java:',
      '        function: lang.jar',
      '        runtime: java:8',
      '        main: Lang',
      '      go:',
      '        function: lang.go',
      '        runtime: go:default',
      '',
    ].join('\n'));
    await runToolOk('wskdeploy', ['-m', path.join(dir, 'manifest.yaml')], platform);
    for (const lang of ['node', 'python', 'java', 'go']) {
      const record = await invokeRecord(ow, `polyglot/${lang}`, { name: 'deployed' });
      expect({ lang, response: record.response }).toMatchObject({ lang, response: { status: 'success', result: { lang: lang === 'node' ? 'nodejs' : lang, name: 'deployed' } } });
    }
  });
});
