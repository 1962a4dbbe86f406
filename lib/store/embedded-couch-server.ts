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
const settings = JSON.parse(process.argv[process.argv.length - 1]);
const load = require('node:module').createRequire(settings.packageJson);
const admin = JSON.parse(require('node:fs').readFileSync(settings.credentialsFile, 'utf8'));
const digest = (text) => crypto.createHash('sha256').update(text).digest();
const expected = digest(admin.username + ':' + admin.password);
const PouchDB = load('pouchdb-core').plugin(load('pouchdb-adapter-leveldb')).plugin(load('pouchdb-mapreduce'));
const app = load('express-pouchdb')(PouchDB.defaults({ prefix: settings.dir }), settings.mode);
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
