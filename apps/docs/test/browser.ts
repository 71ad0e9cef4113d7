/**
 * Headless Chromium for the docs tests: the system's browser (Debian `chromium`) driven by
 * playwright-core, and the built site served on 127.0.0.1 by scripts/serve.mjs. Nothing leaves
 * the loopback interface: any other request is aborted and reported as a problem.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';

export const chromiumPath = (): string => process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';

/** Where screenshots go: outside the repository. */
export const screenshotDir = (): string => {
  const dir = process.env['DOCS_SCREENSHOT_DIR'] || join(tmpdir(), 'chainzrule-docs-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
};

export interface Site {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function openSite(): Promise<Site> {
  const server = await startServer({ port: 0 });
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  return {
    url: server.url,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * A page that records what would be a visible defect: console errors, uncaught exceptions, failed
 * or 4xx/5xx requests, and any request that is not to the local server.
 */
export async function watchedPage(site: Site, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; problems: string[] }> {
  const page = await site.browser.newPage({ viewport });
  const problems: string[] = [];
  const origin = new URL(site.url).origin;
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    problems.push(`request outside the site: ${url}`);
    return route.abort();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error on ${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught exception on ${page.url()}: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (request.url().startsWith(origin)) problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return { page, problems };
}
