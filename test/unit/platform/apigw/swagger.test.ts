import { ApiDefinitionError, addEndpoint, baseSwaggerApi, matchOperation, removeEndpoint, validateSwagger } from '../../../../lib/platform/apigw/swagger';
import { apiForPath } from '../../../../lib/platform/apigw/gateway-route';

const action = { name: 'demo/hello', namespace: 'guest', backendUrl: 'http://h/api/v1/web/guest/demo/hello.http', backendMethod: 'GET' };

describe('API definitions', () => {
  test('endpoints are added per path and verb with the web action URL of the response type', () => {
    let api = addEndpoint(baseSwaggerApi('/club', 'Club'), { gatewayPath: '/books', gatewayMethod: 'GET', action }, 'http://h');
    api = addEndpoint(api, { gatewayPath: '/books/{isbn}', gatewayMethod: 'put', action: { ...action, name: 'put' } }, 'http://h', 'http');
    expect(api.info.title).toBe('Club');
    expect(api.paths['/books']!.get).toMatchObject({
      operationId: 'get/books',
      'x-openwhisk': { namespace: 'guest', package: 'demo', action: 'hello', url: 'http://h/api/v1/web/guest/demo/hello.json' },
    });
    expect(api.paths['/books/{isbn}']!.put).toMatchObject({ 'x-openwhisk': { package: '', url: 'http://h/api/v1/web/guest/default/put.http' } });
    expect(matchOperation(api, 'PUT', '/books/42')).toMatchObject({ action: 'put' });
    expect(matchOperation(api, 'GET', '/books/42')).toBeUndefined();
    expect(matchOperation(api, 'GET', '/books')).toMatchObject({ action: 'hello' });
    expect(() => validateSwagger(api)).not.toThrow();
    const removed = removeEndpoint(api, '/books', 'GET');
    expect(Object.keys(removed.paths)).toEqual(['/books/{isbn}']);
    expect(() => removeEndpoint(removed, '/books')).toThrow("path '/books' does not exist in the API");
  });

  test('bad definitions are refused with the reason', () => {
    expect(() => addEndpoint(baseSwaggerApi('/a'), { gatewayPath: '/x', gatewayMethod: 'get', action }, 'http://h', 'xml')).toThrow(ApiDefinitionError);
    const withParams = addEndpoint(baseSwaggerApi('/a'), { gatewayPath: '/x/{id}', gatewayMethod: 'get', action }, 'http://h', 'json');
    expect(() => validateSwagger(withParams)).toThrow("The action must use a response type of '.http' in order to receive the path parameters.");
    expect(() => validateSwagger({ ...baseSwaggerApi('/{a}') })).toThrow('cannot have parameters');
    expect(() => validateSwagger({ ...baseSwaggerApi('/a'), 'x-ibm-rate-limit': [{ rate: 1 }] })).toThrow('rate limiting (x-ibm-rate-limit) is not supported');
    expect(() => validateSwagger({ basePath: '/a' })).toThrow('Swagger file is invalid');
  });

  test('a request goes to the API with the longest matching base path', () => {
    const root = { tenant: 't', namespace: 'n', swagger: baseSwaggerApi('/') };
    const club = { tenant: 't', namespace: 'n', swagger: baseSwaggerApi('/club') };
    expect(apiForPath([root, club], '/club/books')).toEqual({ api: club, relPath: '/books' });
    expect(apiForPath([root, club], '/clubs')).toEqual({ api: root, relPath: '/clubs' });
    expect(apiForPath([club], '/other')).toBeUndefined();
  });
});
