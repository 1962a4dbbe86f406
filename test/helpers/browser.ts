/**
 * A real browser for the dashboard's tests: Debian's chromium (scripts/services/install-chromium.sh)
 * driven by playwright-core, headless, with a fresh profile. Nothing downloads a browser: a
 * missing chromium fails the test.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.WHISKFLOW_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(__dirname, '../../test-artifacts');

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  /** Saves a PNG of `page` under test-artifacts/<dir>/<name>.png; returns its path. */
  screenshot(page: Page, dir: string, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium is not installed at ${CHROMIUM}: run scripts/services/install-chromium.sh`);
  const profile = mkdtempSync(join(tmpdir(), 'whiskflow-chromium-'));
  // launchPersistentContext passes the profile as --user-data-dir: a fresh one per test suite.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 1000 },
  });
  return {
    context,
    newPage: () => context.newPage(),
    async screenshot(page, dir, name) {
      const folder = join(ARTIFACTS_DIR, dir);
      mkdirSync(folder, { recursive: true });
      const file = join(folder, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
