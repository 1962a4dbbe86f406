/** Regenerates manifests/whiskflow.yaml (the orchestrator package for wskdeploy) from lib/deploy/manifest.ts. */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { manifestYaml } from '../lib/deploy/manifest';

writeFileSync(join(__dirname, '..', '..', 'manifests', 'whiskflow.yaml'), manifestYaml(undefined, { bundlesPath: '../dist/actions' }));
