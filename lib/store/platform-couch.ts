/**
 * Where the whiskflow local platform tells the actions it annotates `provide-platform-couchdb` the
 * URL of its CouchDB: set at every container start, never taken from parameters, so a store that
 * moved (a restart on another port) is found without a redeploy and no event can redirect it (see
 * storeConfigOfAction in config.ts). A module of its own: the platform and the action bundles share it.
 */
export const PLATFORM_COUCHDB_ENV = '__OW_LOCAL_COUCHDB_URL';
