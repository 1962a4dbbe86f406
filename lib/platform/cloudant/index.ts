/**
 * The built-in CouchDB changes feed provider, the local equivalent of
 * apache/openwhisk-package-cloudant. The controller serves `/whisk.system/cloudant/changes` with
 * `handle()` (lib/platform/builtins/cloudant-package.ts).
 */
export { ChangesFeedProvider, type ChangesProviderDeps, type LifecycleEvent } from './provider';
export { describeRegistration, toRegistration, type ChangesRegistration } from './registration';
