import { describeRegistration, toRegistration } from '../../../../lib/platform/cloudant';
import { cloudantServerParams } from '../../../../lib/deploy/workflow';

const feed = { triggerName: '/guest/t', authKey: 'uuid:key', dbname: 'orders' };

describe('changes feed registration (the cloudant feed\'s parameters)', () => {
  it('builds the server URL from protocol, host and port, https by default', () => {
    expect(toRegistration({ ...feed, host: 'db.example', protocol: 'http', port: 5984 }).url).toBe('http://db.example:5984');
    expect(toRegistration({ ...feed, host: 'acct.cloudant.com' }).url).toBe('https://acct.cloudant.com');
  });

  it('takes credentials out of a url, and READ shows neither password nor key', () => {
    const registration = toRegistration({ ...feed, url: 'http://admin:s%40cret@127.0.0.1:5984/', maxTriggers: 3 });
    expect(registration).toMatchObject({ url: 'http://127.0.0.1:5984', username: 'admin', password: 's@cret', triggersLeft: 3, status: 'active' });
    const shown = JSON.stringify(describeRegistration(registration));
    expect(shown).not.toContain('s@cret');
    expect(shown).not.toContain('uuid:key');
    expect(describeRegistration(registration)).toMatchObject({ maxTriggers: 3 });
  });

  it('refuses what is missing or wrong, naming it', () => {
    expect(() => toRegistration({ ...feed, dbname: undefined, host: 'h' })).toThrow("changes feed needs 'dbname'");
    expect(() => toRegistration(feed)).toThrow("changes feed needs 'host'");
    expect(() => toRegistration({ ...feed, host: 'h', maxTriggers: 0 })).toThrow('maxTriggers');
    expect(() => toRegistration({ ...feed, host: 'h', query_params: 'x' })).toThrow('query_params');
    expect(() => toRegistration({ triggerName: '/guest/t', dbname: 'd', host: 'h' })).toThrow('authKey');
  });

  it('UPDATE keeps the credentials and position it does not change', () => {
    const current = { ...toRegistration({ ...feed, url: 'http://u:p@h:1' }), since: '42-abc' };
    expect(toRegistration({ ...feed, filter: 'ddoc/f' }, current)).toMatchObject({ url: 'http://h:1', username: 'u', password: 'p', filter: 'ddoc/f', since: '42-abc' });
  });

  it('deploy hands a store URL to the feed under the cloudant parameter names', () => {
    expect(cloudantServerParams('http://admin:pw@127.0.0.1:5984')).toEqual({ protocol: 'http', host: '127.0.0.1', port: 5984, username: 'admin', password: 'pw' });
    expect(cloudantServerParams('https://acct.cloudant.com')).toEqual({ protocol: 'https', host: 'acct.cloudant.com' });
  });
});
