/**
 * The program of the embedded CouchDB's child process: express-pouchdb and PouchDB on LevelDB behind
 * a small authenticating front.
 *
 * Why a front of its own: express-pouchdb 4.2 knows CouchDB admins (`_config/admins`, basic auth and
 * `_session` through pouchdb-auth) but not `require_valid_user`; with admins set, every database and
 * `_all_dbs` still answer anonymous requests (only `_config`, `_log`, `_active_tasks`,
 * `_db_updates` and `_restart` are kept for admins), and its authentication checks a PBKDF2 hash in
 * the `_users` database at every request. The front answers like a CouchDB with one admin and
 * `require_valid_user = true`: every request without the admin's basic-auth credentials gets 401
 * before it reaches PouchDB, and `GET /_session` names the admin.
 *
 * The front also answers `POST /{db}/_all_docs/queries` (CouchDB 2.2+, several `_all_docs` queries in
 * one request), which express-pouchdb 4.2 lacks: the run stores' group commit sends the reads of a
 * container's concurrent activations that way (lib/store/group-commit.ts). Each query is PouchDB's
 * `allDocs` on the database express-pouchdb itself serves (its own cache of open databases); a
 * database not known to exist gets 404 and is not created by asking.
 *
 * The child listens on a socket its parent opened and keeps (the parent holds the port while a
 * crashed child is restarted, see embedded-couch.ts): the parent sends it the listening handle, and
 * the connections it accepted itself meanwhile. It exits when its parent goes away (the IPC channel
 * closes), even if the parent was killed without a chance to stop it: a crashed test run must not
 * leave database servers behind. SIGTERM exits normally, so that `--cpu-prof` writes its profile.
 * Files it creates are private to the user (umask 077): the database holds keys and action code.
 */
export const SERVER_SCRIPT = `
'use strict';
process.umask(0o077);
process.on('disconnect', () => process.exit(0));
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const settings = JSON.parse(process.argv[process.argv.length - 1]);
const load = require('node:module').createRequire(settings.packageJson);
const admin = JSON.parse(require('node:fs').readFileSync(settings.credentialsFile, 'utf8'));
const digest = (text) => crypto.createHash('sha256').update(text).digest();
const expected = digest(admin.username + ':' + admin.password);
const PouchDB = load('pouchdb-core').plugin(load('pouchdb-adapter-leveldb')).plugin(load('pouchdb-mapreduce'));
const Databases = PouchDB.defaults({ prefix: settings.dir });
const app = load('express-pouchdb')(Databases, settings.mode);
const openDatabase = load('express-pouchdb/lib/create-or-delete-dbs').getOrCreateDB;
const QUERIES_PATH = /^\\/([^/?]+)\\/_all_docs\\/queries(?:\\?.*)?$/;
const QUERY_OPTIONS = ['keys', 'key', 'startkey', 'endkey', 'start_key', 'end_key', 'inclusive_end', 'include_docs', 'skip', 'limit', 'descending', 'conflicts'];
const MAX_QUERIES_BODY = 16 * 1024 * 1024;
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_QUERIES_BODY) { reject(Object.assign(new Error('Request body is too large'), { status: 413, name: 'too_large' })); req.destroy(); return; }
      chunks.push(chunk);
    });
    req.on('end', () => {
      // Clients may compress what they send (the Cloudant SDK gzips request bodies), as CouchDB allows.
      const encoding = String(req.headers['content-encoding'] || 'identity').toLowerCase();
      try {
        const body = Buffer.concat(chunks);
        if (encoding === 'gzip') resolve(zlib.gunzipSync(body, { maxOutputLength: MAX_QUERIES_BODY }).toString('utf8'));
        else if (encoding === 'deflate') resolve(zlib.inflateSync(body, { maxOutputLength: MAX_QUERIES_BODY }).toString('utf8'));
        else if (encoding === 'identity') resolve(body.toString('utf8'));
        else reject(Object.assign(new Error('unsupported Content-Encoding ' + encoding), { status: 415, name: 'bad_content_type' }));
      } catch (error) {
        reject(badRequest('the request body could not be decompressed'));
      }
    });
    req.on('error', reject);
  });
}
function badRequest(reason) {
  return Object.assign(new Error(reason), { status: 400, name: 'bad_request' });
}
async function allDocsQueries(req, res, dbName) {
  try {
    let body;
    try { body = JSON.parse(await readBody(req)); } catch (error) { throw error.status ? error : badRequest('invalid UTF-8 JSON'); }
    if (!body || typeof body !== 'object' || !Array.isArray(body.queries)) throw badRequest('POST body must include \`queries\` parameter.');
    const queries = body.queries.map((query) => {
      if (!query || typeof query !== 'object' || Array.isArray(query)) throw badRequest('every query must be a JSON object');
      const options = {};
      for (const name of QUERY_OPTIONS) if (query[name] !== undefined) options[name] = query[name];
      if (options.keys !== undefined && !Array.isArray(options.keys)) throw badRequest('\`keys\` member must be an array.');
      return options;
    });
    if (!(await databaseExists(dbName))) {
      sendJson(res, 404, { error: 'not_found', reason: 'Database does not exist.' });
      return;
    }
    const db = await openDatabase(Databases, dbName);
    const results = await Promise.all(queries.map((options) => db.allDocs(options)));
    sendJson(res, 200, { results });
  } catch (error) {
    const status = Number.isInteger(error.status) ? error.status : 500;
    sendJson(res, status, { error: error.name || 'error', reason: error.message || String(error) });
  }
}
// Databases known to exist: the list is read only for a name not seen yet, not at every request.
// Every request reaches PouchDB through this front, so a DELETE of a database passing through it is
// the only way one goes: the name is forgotten when the DELETE arrives and again when it is answered
// (a check that read the list meanwhile may have seen it still there).
const knownDatabases = new Set();
async function databaseExists(dbName) {
  if (knownDatabases.has(dbName)) return true;
  const names = await Databases.allDbs();
  if (!names.includes(dbName)) return false;
  knownDatabases.add(dbName);
  return true;
}
const DATABASE_PATH = /^\\/([^/?]+)\\/?(?:\\?.*)?$/;
// The database a path's first segment names (percent-decoded), or undefined for a malformed one.
function databaseName(segment) {
  try { return decodeURIComponent(segment); } catch { return undefined; }
}
function forgetOnDelete(req, res) {
  const match = req.method === 'DELETE' ? DATABASE_PATH.exec(req.url) : null;
  const dbName = match ? databaseName(match[1]) : undefined;
  if (dbName === undefined) return;
  knownDatabases.delete(dbName);
  res.on('finish', () => knownDatabases.delete(dbName));
}
function presented(req) {
  const match = /^basic\\s+(\\S+)\\s*$/i.exec(req.headers.authorization || '');
  return match ? Buffer.from(match[1], 'base64').toString('utf8') : undefined;
}
function sendJson(res, status, body, headers) {
  res.writeHead(status, Object.assign({ 'Content-Type': 'application/json', 'Cache-Control': 'must-revalidate' }, headers || {}));
  res.end(JSON.stringify(body) + '\\n');
}
function handle(req, res) {
  const given = presented(req);
  // Compared as digests of equal length: the time taken says nothing about the password.
  if (given === undefined || !crypto.timingSafeEqual(digest(given), expected)) {
    sendJson(res, 401, { error: 'unauthorized', reason: given === undefined ? 'Authentication required.' : 'Name or password is incorrect.' },
      { 'WWW-Authenticate': 'Basic realm="server"' });
    return;
  }
  if (req.method === 'GET' && /^\\/_session(\\?|$)/.test(req.url)) {
    sendJson(res, 200, { ok: true, userCtx: { name: admin.username, roles: ['_admin'] }, info: { authentication_handlers: ['default'], authenticated: 'default' } });
    return;
  }
  const queries = req.method === 'POST' ? QUERIES_PATH.exec(req.url) : null;
  if (queries) {
    // A malformed name names no database: 404.
    void allDocsQueries(req, res, databaseName(queries[1]) ?? '');
    return;
  }
  forgetOnDelete(req, res);
  app(req, res);
}
const server = require('node:http').createServer(handle);
server.keepAliveTimeout = 65000;
process.on('message', (message, socket) => {
  if (message === 'whiskflow:listen' && socket) server.listen(socket, () => process.send('whiskflow:listening'));
  else if (message === 'whiskflow:connection' && socket) server.emit('connection', socket);
});
const exit = () => { server.close(); process.exit(0); };
process.on('SIGTERM', exit);
process.on('SIGINT', exit);
`;
