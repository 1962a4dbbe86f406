import { loadConfig, redact } from '../../../lib/config';

describe('loadConfig', () => {
  test('reads settings from the given environment with documented defaults', () => {
    expect(loadConfig({ env: {} })).toEqual({ localPort: 3233, localCouchPort: 5984, localDataDir: '.whiskflow', logLevel: 'info' });
    const config = loadConfig({ env: { WHISKFLOW_APIHOST: 'http://h:1', __OW_API_KEY: 'u:k', WHISKFLOW_LOCAL_PORT: '4000', COUCHDB_URL: 'http://a:b@c:5984' } });
    expect(config).toMatchObject({ apihost: 'http://h:1', auth: 'u:k', localPort: 4000, couchdbUrl: 'http://a:b@c:5984' });
  });

  test('a port that is not a number is an error naming the setting', () => {
    expect(() => loadConfig({ env: { WHISKFLOW_LOCAL_PORT: 'abc' } })).toThrow("WHISKFLOW_LOCAL_PORT must be a non-negative integer (got 'abc')");
  });
});

describe('redact', () => {
  test('hides keys, URL passwords and secret-named settings, keeps the rest', () => {
    expect(redact({ auth: '23bc46b1-71f6:secretkey', apihost: 'http://127.0.0.1:3233', couch: 'http://admin:pw@127.0.0.1:5984/db', password: 'hunter2' }))
      .toEqual({ auth: '23bc…:***', apihost: 'http://127.0.0.1:3233', couch: 'http://admin:***@127.0.0.1:5984/db', password: '***' });
    expect(JSON.stringify(redact({ nested: [{ apiKey: 'a:b' }] }))).not.toContain('a:b');
  });

  test('hides the embedded CouchDB\'s generated password (base64url) in its URL', () => {
    const url = 'http://admin-0f3a9c21:Xk3_q-Zr8vT0aB1cD2eF3gH4iJ5kL6mN@127.0.0.1:41234';
    expect(redact(url)).toBe('http://admin-0f3a9c21:***@127.0.0.1:41234');
    expect(String(redact({ couchUrl: url }))).not.toContain('Xk3_q');
    expect(JSON.stringify(redact({ couchUrl: url }))).not.toContain('Xk3_q');
  });
});
