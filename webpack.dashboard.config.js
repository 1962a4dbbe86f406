/**
 * The dashboard's browser bundle: lib/dashboard/browser/main.tsx (Preact, dagre) -> dist/dashboard/app.js,
 * served by the local platform itself (`/dashboard/assets/app.js`): no CDN, works offline.
 */
const path = require('path');

module.exports = {
  mode: 'production',
  target: ['web', 'es2020'],
  entry: { app: path.join(__dirname, 'lib/dashboard/browser/main.tsx') },
  output: { path: path.join(__dirname, 'dist', 'dashboard'), filename: '[name].js' },
  resolve: { extensions: ['.tsx', '.ts', '.js'] },
  module: {
    rules: [{ test: /\.tsx?$/, loader: 'ts-loader', options: { configFile: path.join(__dirname, 'lib/dashboard/browser/tsconfig.json'), transpileOnly: true } }],
  },
  devtool: 'source-map',
  performance: { hints: false },
};
