/**
 * Checks, once before the docs tests, that what they need is there: the built site (the `test`
 * script builds it first) and a Chromium to drive. A missing one fails with the command that fixes it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumPath } from './browser.js';
import { siteDir } from '../scripts/workspace.mjs';

export default function setup(): void {
  for (const file of ['index.html', join('demo', 'index.html'), join('demo', 'models', 'summary.json')])
    if (!existsSync(join(siteDir, file)))
      throw new Error(`apps/docs/site/${file} is missing: build the site first with pnpm docs:build (pnpm --filter @chainzrule/docs test does it)`);
  if (!existsSync(chromiumPath()))
    throw new Error(
      `no Chromium at ${chromiumPath()}: install Debian's (as root: apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary`,
    );
}
