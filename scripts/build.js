#!/usr/bin/env node
/**
 * `npm run build`: compiles lib/ and scripts/ into dist/ (tsc) and bundles the actions and the
 * dashboard's browser code (webpack),
 * then stamps dist/ with the time the build started. `--if-stale` builds only when there is no
 * stamp or a source is newer than it: `npm run demo` uses it, so that right after `npm install`
 * (whose `prepare` builds) it does not build everything again, while a fresh clone or an edited
 * source still gets a build.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const stamp = path.join(root, 'dist', '.build-stamp');
/** What the build reads: sources, the compiler and bundler settings, and the installed packages. */
const INPUT_DIRS = ['lib', 'actions', 'scripts', 'schemas'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'webpack.config.js', 'webpack.dashboard.config.js', 'package.json', 'package-lock.json'];

function newestInput() {
  let newest = { file: '', mtimeMs: 0 };
  const consider = (file) => {
    const { mtimeMs } = fs.statSync(file);
    if (mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
  };
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      // TypeScript and JSON only: scripts/*.js (this one, the demo) are run as they are, not built.
      else if (entry.isFile() && /\.(ts|tsx|json)$/.test(entry.name)) consider(file);
    }
  };
  for (const dir of INPUT_DIRS) if (fs.existsSync(path.join(root, dir))) walk(path.join(root, dir));
  for (const file of INPUT_FILES) if (fs.existsSync(path.join(root, file))) consider(path.join(root, file));
  return newest;
}

/** Why a build is needed, or undefined when dist/ is up to date. */
function staleReason() {
  if (!fs.existsSync(stamp)) return 'dist/ has not been built';
  const built = fs.statSync(stamp).mtimeMs;
  const newest = newestInput();
  return newest.mtimeMs > built ? `${path.relative(root, newest.file)} changed since the last build` : undefined;
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function build() {
  // The start, not the end: a source saved during the build is newer than the stamp.
  const started = new Date();
  const bin = (name) => path.join(root, 'node_modules', '.bin', name);
  run(bin('tsc'), ['-p', 'tsconfig.build.json']);
  // The dashboard's browser bundle (lib/dashboard/browser), served by the platform itself; first,
  // because the dashboard web action (actions/dashboard.ts) inlines it.
  run(bin('webpack'), ['--config', 'webpack.dashboard.config.js']);
  run(bin('webpack'), ['--config', 'webpack.config.js']);
  fs.writeFileSync(stamp, `${started.toISOString()}\n`);
  fs.utimesSync(stamp, started, started);
}

if (process.argv.includes('--if-stale')) {
  const reason = staleReason();
  if (reason) {
    console.log(`build: ${reason}; building`);
    build();
  } else {
    console.log('build: dist/ is up to date');
  }
} else {
  build();
}
