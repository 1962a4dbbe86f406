/**
 * Python actions on the local platform, through the official client: plain code and zips (with a
 * virtualenv), `main` selection, params and results as dicts, __OW_* variables, logs with the
 * runtime's sentinels, exceptions, init failures, time limits, updates, non-blocking invokes, and
 * Python actions in sequences, as conductors and their components, and behind rules.
 */
import { activationOf, annotation } from '../support';
import { usePlatform } from '../../../helpers/local-platform';
import { until } from '../../../helpers/until';
import { isRunning, zipBase64 } from './fixtures';
import { invokeRecord, logMessages } from './invoke';

jest.setTimeout(120_000);

const { ow } = usePlatform();

const echo = [
  'import os',
  'def main(args):',
  '    print("params", sorted(args.keys()))',
  '    return {"args": args, "activation": os.environ["__OW_ACTIVATION_ID"], "action": os.environ["__OW_ACTION_NAME"], "pid": os.getpid()}',
  '',
].join('\n');

describe('python actions', () => {
  it('stores python:default as the concrete kind and runs code as text: dict in, dict out, __OW_* set, stdout in the logs', async () => {
    const created = await ow.actions.create({ name: 'py-echo', action: echo, kind: 'python:default' });
    expect(created.exec.kind).toMatch(/^python:3\.\d+$/);
    const first = await invokeRecord(ow, 'py-echo', { a: 1, nested: { b: [1, 2] } });
    expect(first.response).toMatchObject({ status: 'success', result: { args: { a: 1, nested: { b: [1, 2] } }, activation: first.activationId, action: '/guest/py-echo' } });
    expect(logMessages(first)).toEqual(["params ['a', 'nested']"]);
    expect(annotation(first, 'kind')).toBe(created.exec.kind);
    expect(annotation(first, 'initTime')).toEqual(expect.any(Number));
    // Warm: the same process, and only this activation's lines.
    const second = await invokeRecord(ow, 'py-echo', { c: 3 });
    expect(second.response.result['pid']).toBe(first.response.result['pid']);
    expect(logMessages(second)).toEqual(["params ['c']"]);
  });

  it('selects main, and an update runs the new code', async () => {
    await ow.actions.create({ name: 'py-main', action: { exec: { kind: 'python:3', code: 'def main(a):\n    return {"f": "main"}\ndef other(a):\n    return {"f": "other"}\n', main: 'other' } } });
    expect((await invokeRecord(ow, 'py-main')).response.result).toEqual({ f: 'other' });
    await ow.actions.update({ name: 'py-main', action: { exec: { kind: 'python:3', code: 'def other(a):\n    return {"f": "updated"}\n', main: 'other' } } });
    expect((await invokeRecord(ow, 'py-main')).response.result).toEqual({ f: 'updated' });
  });

  it('runs a zip: __main__.py, its own modules, and packages from its virtualenv/ folder', async () => {
    const code = zipBase64({
      '__main__.py': 'import helper\nimport vendored\ndef main(args):\n    return {"greeting": helper.greet(args.get("name", "x")), "vendored": vendored.VALUE}\n',
      'helper.py': 'def greet(name):\n    return "Hello, " + name\n',
      'virtualenv/lib/python3.11/site-packages/vendored/__init__.py': 'VALUE = 42\n',
    });
    await ow.actions.create({ name: 'py-zip', action: { exec: { kind: 'python:3', code, binary: true } } });
    expect((await invokeRecord(ow, 'py-zip', { name: 'zip' })).response).toMatchObject({ status: 'success', result: { greeting: 'Hello, zip', vendored: 42 } });
  });

  it('reports a zip without __main__.py, a syntax error and a missing main as init failures (developer errors)', async () => {
    await ow.actions.create({ name: 'py-nomain-zip', action: { exec: { kind: 'python:3', code: zipBase64({ 'other.py': 'x = 1\n' }), binary: true } } });
    expect((await invokeRecord(ow, 'py-nomain-zip')).response).toMatchObject({ status: 'action developer error', result: { error: 'Zip file does not include main__' } });
    await ow.actions.create({ name: 'py-syntax', action: 'def main(args:\n    return {}\n', kind: 'python:3' });
    const syntax = await invokeRecord(ow, 'py-syntax');
    expect(syntax.response.status).toBe('action developer error');
    expect(syntax.response.result['error']).toMatch(/never closed|invalid syntax/);
    await ow.actions.create({ name: 'py-missing', action: 'def other(args):\n    return {}\n', kind: 'python:3' });
    const missing = await invokeRecord(ow, 'py-missing');
    expect(missing.response).toMatchObject({ status: 'action developer error', result: { error: 'cannot start action: Command exited abruptly during initialization.' } });
    expect(logMessages(missing).join('\n')).toContain("ImportError: cannot import name 'main'");
  });

  it('answers an exception with {error: str(e)} and the traceback in the logs; a non-dict result is a developer error', async () => {
    await ow.actions.create({ name: 'py-raise', action: 'def main(args):\n    print("before")\n    raise ValueError("bad input: " + str(args.get("n")))\n', kind: 'python:3' });
    const raised = await invokeRecord(ow, 'py-raise', { n: 7 });
    expect(raised.response).toMatchObject({ status: 'application error', result: { error: 'bad input: 7' } });
    const logs = logMessages(raised).join('\n');
    expect(logs).toContain('before');
    expect(logs).toContain('ValueError: bad input: 7');
    await ow.actions.create({ name: 'py-string', action: 'def main(args):\n    return "not a dict"\n', kind: 'python:3' });
    expect((await invokeRecord(ow, 'py-string')).response).toMatchObject({ status: 'action developer error', result: { error: 'The action did not return a dictionary or array.' } });
  });

  it('ends an action at its time limit and runs the next activation in a fresh process', async () => {
    await ow.actions.create({ name: 'py-slow', action: 'import os, time\ndef main(args):\n    if args.get("sleep"):\n        time.sleep(30)\n    return {"pid": os.getpid()}\n', kind: 'python:3', limits: { timeout: 1000 } });
    const before = await invokeRecord(ow, 'py-slow');
    const slow = await invokeRecord(ow, 'py-slow', { sleep: true });
    expect(slow.response).toMatchObject({ status: 'action developer error', result: { error: 'The action exceeded its time limits of 1000 milliseconds.' } });
    expect(annotation(slow, 'timeout')).toBe(true);
    const after = await invokeRecord(ow, 'py-slow');
    expect(after.response.status).toBe('success');
    expect(after.response.result['pid']).not.toBe(before.response.result['pid']);
    // Killed with its container (a zombie until something reaps it counts as ended).
    await until('the old container\'s process has ended', async () => (isRunning(before.response.result['pid'] as number) ? undefined : true), { retryErrors: true });
  });

  it('runs non-blocking invokes, sequences mixing Python and Node.js, and fires through rules', async () => {
    await ow.actions.create({ name: 'py-double', action: 'def main(args):\n    return {"n": args["n"] * 2}\n', kind: 'python:3' });
    const { activationId } = await ow.actions.invoke({ name: 'py-double', params: { n: 4 } });
    expect((await activationOf(ow, activationId)).response.result).toEqual({ n: 8 });

    await ow.actions.create({ name: 'js-inc', action: 'function main(p) { return { n: p.n + 1 }; }', kind: 'nodejs:default' });
    await ow.actions.create({ name: 'py-seq', action: { exec: { kind: 'sequence', components: ['/_/py-double', '/_/js-inc', '/_/py-double'] } } });
    expect((await invokeRecord(ow, 'py-seq', { n: 1 })).response.result).toEqual({ n: 6 });

    await ow.triggers.create({ name: 'py-trigger' });
    await ow.rules.create({ name: 'py-rule', trigger: 'py-trigger', action: 'py-double' });
    const fired = await ow.triggers.invoke({ name: 'py-trigger', params: { n: 21 } });
    const trigger = await activationOf(ow, fired.activationId);
    const ruleActivation = JSON.parse(trigger.logs[0] as string) as { activationId: string };
    expect((await activationOf(ow, ruleActivation.activationId)).response.result).toEqual({ n: 42 });
  });

  it('runs a Python conductor whose components are Python actions', async () => {
    const conductor = [
      'def main(args):',
      '    step = args.pop("$step", 0)',
      '    if step == 0:',
      '        return {"action": "/_/py-double", "params": args, "state": {"$step": 1}}',
      '    if step == 1:',
      '        return {"action": "/_/py-double", "params": args, "state": {"$step": 2}}',
      '    return {"params": {"final": args["n"]}}',
    ].join('\n');
    await ow.actions.update({ name: 'py-double', action: 'def main(args):\n    return {"n": args["n"] * 2}\n', kind: 'python:3' });
    await ow.actions.create({ name: 'py-conductor', action: conductor, kind: 'python:3', annotations: { conductor: true } });
    const record = await until('the conductor action answers', async () => invokeRecord(ow, 'py-conductor', { n: 5 }), { retryErrors: true });
    expect(record.response).toMatchObject({ status: 'success', result: { final: 20 } });
  });
});
