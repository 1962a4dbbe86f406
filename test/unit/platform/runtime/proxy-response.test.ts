import { interpretInitResponse, interpretRunResponse } from '../../../../lib/platform/runtime/proxy-response';

describe('interpretInitResponse', () => {
  it('accepts a 200', () => {
    expect(interpretInitResponse({ statusCode: 200, body: '{"OK":true}' })).toBeUndefined();
  });

  it.each([
    [502, '{"error":"Initialization has failed due to: boom"}', 'Initialization has failed due to: boom'],
    [403, '{"error":"Missing main/no code to execute."}', 'Missing main/no code to execute.'],
    [500, 'not json', 'The action failed during initialization: not json'],
    [500, '', 'The action failed during initialization.'],
  ])('turns %i %s into a developer error', (statusCode, body, error) => {
    expect(interpretInitResponse({ statusCode, body })).toEqual({ status: 'action developer error', result: { error } });
  });
});

describe('interpretRunResponse', () => {
  it.each([
    [200, '{"greeting":"hi"}', 'success', { greeting: 'hi' }],
    [200, '{"error":"bad input"}', 'application error', { error: 'bad input' }],
    [200, '{"error":{"message":"x"}}', 'application error', { error: { message: 'x' } }],
    [502, '{"error":"The action did not return a dictionary."}', 'action developer error', { error: 'The action did not return a dictionary.' }],
    [502, '{"error":"An error has occurred: Error: boom"}', 'action developer error', { error: 'An error has occurred: Error: boom' }],
    [200, 'null', 'action developer error', { error: 'The action did not produce a valid JSON response: null' }],
    [200, '[1,2]', 'action developer error', { error: 'The action did not produce a valid JSON response: [1,2]' }],
    [200, 'oops', 'action developer error', { error: 'The action did not produce a valid JSON response: oops' }],
    [500, '{"other":1}', 'action developer error', { error: 'The action did not produce a valid JSON response: {"other":1}' }],
  ])('reads %i %s as %s', (statusCode, body, status, result) => {
    expect(interpretRunResponse({ statusCode, body })).toEqual({ status, result });
  });

  it('rejects a result over the size limit with the truncated response', () => {
    const outcome = interpretRunResponse({ statusCode: 200, body: '{"data":"0123456789"}' }, 8);
    expect(outcome).toEqual({
      status: 'action developer error',
      result: { error: 'The action produced a response that exceeded the allowed length: 21 > 8 bytes. The truncated response was: {"data":' },
    });
  });
});
