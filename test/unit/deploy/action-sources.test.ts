import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import AdmZip from 'adm-zip';
import { readActionSource } from '../../../lib/deploy/action-sources';

describe('readActionSource: the kind and the entry points of an action file', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whiskflow-action-sources-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string | Buffer): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  it('deploys the top-level Python functions not starting with _, kind python:default', () => {
    const file = write('tasks.py', 'import json\n\ndef sum(params):\n    return {}\n\ndef _helper(x):\n    return x\n\nclass K:\n    def method(self):\n        pass\n\ndef label(params):\n    return params\n');
    expect(readActionSource(file)).toEqual({ code: fs.readFileSync(file, 'utf8'), kind: 'python:default', mains: { sum: 'sum', label: 'label' } });
    expect(readActionSource(file, 'python:3.11').kind).toBe('python:3.11');
  });

  it('deploys Go functions the runtime reaches from a main (capitalized), named in lower case', () => {
    const map = 'map[string]interface{}';
    const file = write('tasks.go', `package main\n\nfunc Sum(args ${map}) ${map} { return args }\nfunc SumAll(args ${map}) ${map} { return args }\nfunc helper(x int) int { return x }\nfunc Label(p ${map}) ${map} { return p }\n`);
    expect(readActionSource(file)).toMatchObject({ kind: 'go:default', mains: { sum: 'sum', label: 'label' } });
  });

  it('deploys a jar as one action named after the file, main = its Main-Class', () => {
    const zip = new AdmZip();
    zip.addFile('META-INF/MANIFEST.MF', Buffer.from('Manifest-Version: 1.0\nMain-Class: com.example.Hello\n'));
    const file = write('hello.jar', zip.toBuffer());
    expect(readActionSource(file)).toEqual({ code: fs.readFileSync(file).toString('base64'), kind: 'java:default', mains: { hello: 'com.example.Hello' } });
    const bare = write('bare.jar', new AdmZip().toBuffer());
    expect(() => readActionSource(bare)).toThrow('names no Main-Class');
  });

  it('keeps JavaScript as before (exported functions), and names what is wrong otherwise', () => {
    const file = write('tasks.js', 'module.exports = { a: () => ({}), b: function () { return {}; }, c: 1 };\n');
    expect(readActionSource(file)).toMatchObject({ kind: 'nodejs:default', mains: { a: 'a', b: 'b' } });
    expect(() => readActionSource(write('tasks.rb', 'def main; end'))).toThrow('cannot tell the kind');
    expect(() => readActionSource(write('empty.py', 'x = 1\n'))).toThrow('no action function found');
  });
});
