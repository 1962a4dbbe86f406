/** The platform's route hook: another room serves paths next to the REST API, which keeps the rest. */
import { startLocalPlatform, type LocalPlatform } from '../../helpers/local-platform';

describe('routes added to the local platform', () => {
  let platform: LocalPlatform;

  beforeAll(async () => {
    platform = await startLocalPlatform();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('answers what a route takes, leaves the rest to the API, and stops when removed', async () => {
    const remove = platform.addRoute((incoming, response) => {
      if (incoming.url !== '/extra') return false;
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('from the route');
      return true;
    });
    const extra = await fetch(`${platform.apihost}/extra`);
    expect([extra.status, await extra.text()]).toEqual([200, 'from the route']);
    const info = await fetch(`${platform.apihost}/`, { headers: { accept: 'application/json' } });
    expect(await info.json()).toHaveProperty('api_paths');
    remove();
    const gone = await fetch(`${platform.apihost}/extra`);
    expect(gone.status).toBe(404);
  });
});
