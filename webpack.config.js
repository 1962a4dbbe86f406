/**
 * One self-contained bundle per OpenWhisk action entry point: actions/<name>.ts -> dist/actions/<name>.js.
 * The bundles load in OpenWhisk's Node.js runtime as plain `code` (main exported as `main`).
 * `openwhisk` is left out on purpose: the Node.js runtime preinstalls it (and so does the local platform).
 */
const fs = require('fs');
const path = require('path');

const actionsDir = path.join(__dirname, 'actions');
const entries = {};
function collect(dir, prefix) {
  if (!fs.existsSync(dir)) return;
  for (const item of fs.readdirSync(dir, { withFileTypes: true })) {
    if (item.isDirectory()) collect(path.join(dir, item.name), `${prefix}${item.name}/`);
    else if (item.name.endsWith('.ts') && !item.name.endsWith('.d.ts')) entries[`${prefix}${item.name.slice(0, -3)}`] = path.join(dir, item.name);
  }
}
collect(actionsDir, '');

module.exports = {
  mode: 'production',
  target: 'node20',
  entry: entries,
  output: {
    path: path.join(__dirname, 'dist', 'actions'),
    filename: '[name].js',
    library: { type: 'commonjs2' },
  },
  resolve: { extensions: ['.ts', '.js', '.json'] },
  module: {
    rules: [
      { test: /\.ts$/, loader: 'ts-loader', options: { configFile: 'tsconfig.build.json', transpileOnly: true } },
      // `import text from '<file>?source'`: the file's text inlined (the dashboard action's browser bundle).
      { resourceQuery: /^\?source$/, type: 'asset/source' },
    ],
  },
  externals: { openwhisk: 'commonjs openwhisk' },
  optimization: { minimize: false },
  performance: { hints: false },
};
