/** Which store a whiskflow action uses: the bound settings, with the local platform's CouchDB URL when it provides one. */
import { storeConfigOfAction } from '../../../lib/store/config';
import { PLATFORM_COUCHDB_ENV } from '../../../lib/store/platform-couch';

describe('storeConfigOfAction', () => {
  const bound = { kind: 'couchdb', url: 'http://127.0.0.1:5984', dbname: 'whiskflow' };

  it('uses the bound URL where the platform provides none (a real OpenWhisk)', () => {
    expect(storeConfigOfAction(bound, {})).toEqual(bound);
    const cloudant = { kind: 'cloudant', url: 'https://x.cloudant.com', dbname: 'w', iamApiKey: 'k' };
    expect(storeConfigOfAction(cloudant, { [PLATFORM_COUCHDB_ENV]: 'http://127.0.0.1:41000' })).toEqual(cloudant);
  });

  it('takes the CouchDB URL from the platform, whatever URL the parameters carry', () => {
    const env = { [PLATFORM_COUCHDB_ENV]: 'http://127.0.0.1:41000' };
    expect(storeConfigOfAction(bound, env)).toEqual({ ...bound, url: 'http://127.0.0.1:41000' });
    // An event's parameters naming another CouchDB do not move the store either.
    expect(storeConfigOfAction({ ...bound, url: 'http://elsewhere:5984' }, env)).toEqual({ ...bound, url: 'http://127.0.0.1:41000' });
  });
});
