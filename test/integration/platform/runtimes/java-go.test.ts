/**
 * Java and Go actions on the local platform, through the official client: a jar with `main` naming
 * the class (and `#method`), Gson's JsonObject in and out; Go source files, zips of sources and a
 * prebuilt `exec`, compiled at /init by the machine's Go; errors as their runtimes report them;
 * time limits; sequences mixing the languages.
 */
import { annotation } from '../support';
import { usePlatform } from '../../../helpers/local-platform';
import { goExecutable, goLauncher, javaJar, zipBase64 } from './fixtures';
import { invokeRecord, logMessages } from './invoke';

jest.setTimeout(180_000);

const { ow } = usePlatform();

const HELLO_JAVA = `
import com.google.gson.JsonObject;
public class Hello {
    public static JsonObject main(JsonObject args) {
        String name = args.has("name") ? args.getAsJsonPrimitive("name").getAsString() : "stranger";
        System.out.println("hello " + name);
        if (name.equals("boom")) throw new IllegalStateException("boom");
        JsonObject response = new JsonObject();
        response.addProperty("greeting", "Hello " + name + "!");
        response.addProperty("activation", System.getenv("__OW_ACTIVATION_ID"));
        return response;
    }
    public static JsonObject twice(JsonObject args) {
        JsonObject response = new JsonObject();
        response.addProperty("n", args.getAsJsonPrimitive("n").getAsInt() * 2);
        return response;
    }
    public static JsonObject slow(JsonObject args) throws Exception {
        Thread.sleep(30000);
        return args;
    }
}`;

const HELLO_GO = `package main

import "fmt"

func Main(args map[string]interface{}) map[string]interface{} {
	name, ok := args["name"].(string)
	if !ok {
		name = "stranger"
	}
	fmt.Println("hello", name)
	return map[string]interface{}{"greeting": "Hello " + name + "!"}
}
`;

describe('java actions', () => {
  const jar = javaJar({ Hello: HELLO_JAVA }).toString('base64');

  it('runs a jar: main names the class, JsonObject in and out, __OW_* through System.getenv, stdout in the logs', async () => {
    const created = await ow.actions.create({ name: 'java-hello', action: { exec: { kind: 'java:default', code: jar, main: 'Hello' } } });
    expect(created.exec.kind).toBe('java:8');
    const record = await invokeRecord(ow, 'java-hello', { name: 'Duke' });
    expect(record.response).toMatchObject({ status: 'success', result: { greeting: 'Hello Duke!', activation: record.activationId } });
    expect(logMessages(record)).toEqual(['hello Duke']);
    expect(annotation(record, 'kind')).toBe('java:8');
    // Warm, and #method selects another static method.
    expect((await invokeRecord(ow, 'java-hello', { name: 'again' })).response.result['greeting']).toBe('Hello again!');
    await ow.actions.create({ name: 'java-twice', action: { exec: { kind: 'java:8', code: jar, main: 'Hello#twice' } } });
    expect((await invokeRecord(ow, 'java-twice', { n: 21 })).response.result).toEqual({ n: 42 });
  });

  it('reports exceptions, an unknown class and a missing method with the Java runtime\'s texts', async () => {
    const boom = await invokeRecord(ow, 'java-hello', { name: 'boom' });
    expect(boom.response).toMatchObject({ status: 'action developer error', result: { error: 'An error has occurred while invoking the action (see logs for details): java.lang.IllegalStateException: boom' } });
    expect(logMessages(boom).join('\n')).toContain('java.lang.IllegalStateException: boom');
    await ow.actions.create({ name: 'java-noclass', action: { exec: { kind: 'java:8', code: jar, main: 'Nope' } } });
    expect((await invokeRecord(ow, 'java-noclass')).response).toMatchObject({ status: 'action developer error', result: { error: 'An error has occurred (see logs for details): java.lang.ClassNotFoundException: Nope' } });
    await ow.actions.create({ name: 'java-nomethod', action: { exec: { kind: 'java:8', code: jar, main: 'Hello#absent' } } });
    expect((await invokeRecord(ow, 'java-nomethod')).response).toMatchObject({ status: 'action developer error', result: { error: 'An error has occurred (see logs for details): java.lang.NoSuchMethodException: absent' } });
  });

  it('ends a Java action at its time limit', async () => {
    await ow.actions.create({ name: 'java-slow', action: { exec: { kind: 'java:8', code: jar, main: 'Hello#slow' }, limits: { timeout: 2000 } } });
    expect((await invokeRecord(ow, 'java-slow')).response).toMatchObject({ status: 'action developer error', result: { error: 'The action exceeded its time limits of 2000 milliseconds.' } });
  });
});

describe('go actions', () => {
  it('compiles a source file at /init with main capitalized (main -> Main), then runs it warm', async () => {
    const created = await ow.actions.create({ name: 'go-hello', action: HELLO_GO, kind: 'go:default' });
    expect(created.exec.kind).toMatch(/^go:1\.\d+$/);
    const cold = await invokeRecord(ow, 'go-hello', { name: 'gopher' });
    expect(cold.response).toMatchObject({ status: 'success', result: { greeting: 'Hello gopher!' } });
    expect(logMessages(cold)).toEqual(['hello gopher']);
    expect(annotation(cold, 'initTime')).toEqual(expect.any(Number));
    expect((await invokeRecord(ow, 'go-hello', {})).response.result).toEqual({ greeting: 'Hello stranger!' });
    await ow.actions.create({ name: 'go-named', action: { exec: { kind: 'go:1.22', code: HELLO_GO.replace('func Main(', 'func Hello('), main: 'hello' } } });
    expect((await invokeRecord(ow, 'go-named', { name: 'named' })).response.result).toEqual({ greeting: 'Hello named!' });
  });

  it('compiles a zip of sources (several files of package main), and runs a prebuilt exec as it is', async () => {
    const sources = zipBase64({
      'main.go': 'package main\n\nfunc Main(args map[string]interface{}) map[string]interface{} {\n\treturn map[string]interface{}{"sum": add(2, 3)}\n}\n',
      'add.go': 'package main\n\nfunc add(a, b int) int { return a + b }\n',
    });
    await ow.actions.create({ name: 'go-zip', action: { exec: { kind: 'go:1.22', code: sources, binary: true } } });
    expect((await invokeRecord(ow, 'go-zip')).response).toMatchObject({ status: 'success', result: { sum: 5 } });
    const exec = goExecutable({ 'exec__.go': HELLO_GO, 'main__.go': goLauncher() });
    await ow.actions.create({ name: 'go-prebuilt', action: { exec: { kind: 'go:1.22', code: zipBase64({ exec }), binary: true } } });
    expect((await invokeRecord(ow, 'go-prebuilt', { name: 'binary' })).response).toMatchObject({ status: 'success', result: { greeting: 'Hello binary!' } });
  });

  it('fails /init with the compiler\'s output, and a panic ends the activation', async () => {
    await ow.actions.create({ name: 'go-broken', action: 'package main\n\nfunc Main(args map[string]interface{}) map[string]interface{} {\n\treturn nope\n}\n', kind: 'go:1.22' });
    const broken = await invokeRecord(ow, 'go-broken');
    expect(broken.response.status).toBe('action developer error');
    expect(broken.response.result['error']).toContain('undefined: nope');
    await ow.actions.create({ name: 'go-panic', action: 'package main\n\nfunc Main(args map[string]interface{}) map[string]interface{} {\n\tpanic("no way")\n}\n', kind: 'go:1.22' });
    const panicked = await invokeRecord(ow, 'go-panic');
    expect(panicked.response).toMatchObject({ status: 'action developer error', result: { error: 'command exited' } });
    expect(logMessages(panicked).join('\n')).toContain('panic: no way');
  });

  it('runs sequences mixing Go, Java, Python and Node.js', async () => {
    await ow.actions.create({ name: 'mix-go', action: 'package main\n\nfunc Main(args map[string]interface{}) map[string]interface{} {\n\treturn map[string]interface{}{"n": args["n"].(float64) + 1}\n}\n', kind: 'go:1.22' });
    await ow.actions.create({ name: 'mix-py', action: 'def main(args):\n    return {"n": args["n"] * 10}\n', kind: 'python:3' });
    await ow.actions.create({ name: 'mix-js', action: 'function main(p) { return { n: p.n - 1 }; }', kind: 'nodejs:default' });
    await ow.actions.create({ name: 'mix-java', action: { exec: { kind: 'java:8', code: javaJar({ Hello: HELLO_JAVA }).toString('base64'), main: 'Hello#twice' } } });
    await ow.actions.create({ name: 'mix-seq', action: { exec: { kind: 'sequence', components: ['/_/mix-go', '/_/mix-py', '/_/mix-js', '/_/mix-java'] } } });
    expect((await invokeRecord(ow, 'mix-seq', { n: 1 })).response.result).toEqual({ n: 38 });
  });
});
