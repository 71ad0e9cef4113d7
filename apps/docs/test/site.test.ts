/**
 * Every page of the built site, in headless Chromium: it renders without console errors, failed
 * requests or requests leaving the site, and every link within the site points at a file that
 * exists and, for `#fragment` links, at an element with that id.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSite, screenshotDir, watchedPage, type Site } from './browser.js';
import { siteDir } from '../scripts/workspace.mjs';

/** Every .html file of the site, relative, with `/` separators. */
function htmlFiles(dir = siteDir): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.html'))
    .map((f) => f.split(sep).join('/'))
    .sort();
}

interface Visit {
  links: string[];
  ids: Set<string>;
}

let site: Site;
const visits = new Map<string, Visit>();
const problems: string[] = [];
const pages = htmlFiles();

/** Pages loaded at once: the site is static, so a few tabs overlap their waiting. */
const TABS = 3;

beforeAll(async () => {
  site = await openSite();
  const queue = [...pages];
  const tab = async () => {
    const { page, problems: seen } = await watchedPage(site);
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      await page.goto(new URL(file, site.url).href, { waitUntil: 'load' });
      // typedoc's navigation and search scripts, and the demo's models, finish after load: let them.
      await page.waitForTimeout(file.startsWith('demo/') ? 1500 : 60);
      const { links, ids } = await page.evaluate(() => ({
        links: [...document.querySelectorAll('a[href]')].map((a) => (a as HTMLAnchorElement).href),
        ids: [...document.querySelectorAll('[id], a[name]')].map((e) => e.id || e.getAttribute('name') || ''),
      }));
      visits.set(file, { links, ids: new Set(ids) });
    }
    problems.push(...seen);
    return page;
  };
  const [page] = await Promise.all(Array.from({ length: TABS }, tab));
  for (const [name, path] of [
    ['home', 'index.html'],
    ['guide-concepts', 'documents/Concepts.html'],
    ['guide-cli-reference', 'documents/CLI_reference.html'],
    ['api-polynomial-engine', 'classes/_chainzrule_polynomial.PolynomialEngine.html'],
  ] as const) {
    await page!.goto(new URL(path, site.url).href, { waitUntil: 'load' });
    await page!.waitForTimeout(300);
    await page!.screenshot({ path: join(screenshotDir(), `${name}.png`) });
  }
});

afterAll(async () => {
  await site?.close();
});

describe('the built docs site', () => {
  it('has the guides, the API reference of every package and the demo', () => {
    for (const page of ['index.html', 'modules.html', 'demo/index.html']) expect(pages).toContain(page);
    for (const guide of ['Quickstart', 'Concepts', 'The_volatility_demo', 'Reproducing_the_paper', 'Writing_a_regularizer', 'CLI_reference'])
      expect(pages).toContain(`documents/${guide}.html`);
    for (const pkg of ['polynomial', 'dreg', 'datasets', 'metrics', 'trainer']) expect(pages).toContain(`modules/_chainzrule_${pkg}.html`);
    expect(pages.length).toBeGreaterThan(50);
  });

  it('renders every page without console errors, failed requests or requests leaving the site', () => {
    expect(visits.size).toBe(pages.length);
    expect(problems).toEqual([]);
  });

  it('has no broken links within the site', () => {
    const origin = new URL(site.url).origin;
    const broken: string[] = [];
    let checked = 0;
    for (const [from, { links }] of visits) {
      for (const href of links) {
        const url = new URL(href);
        if (url.protocol === 'mailto:') continue;
        if (url.protocol !== 'http:' && url.protocol !== 'https:') {
          broken.push(`${from}: ${href} (not a web link: an unresolved site: link?)`);
          continue;
        }
        if (url.origin !== origin) continue; // another site: not fetched, there is no network
        checked++;
        let target = decodeURIComponent(url.pathname).replace(/^\//, '');
        const onDisk = join(siteDir, target);
        if (target === '' || (existsSync(onDisk) && statSync(onDisk).isDirectory())) target = join(target, 'index.html').split(sep).join('/');
        if (!existsSync(join(siteDir, target))) {
          broken.push(`${from}: ${href} (no file ${target})`);
          continue;
        }
        const fragment = decodeURIComponent(url.hash.slice(1));
        if (fragment && target.endsWith('.html') && !visits.get(target)?.ids.has(fragment)) broken.push(`${from}: ${href} (no element #${fragment} in ${target})`);
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(broken).toEqual([]);
  });

  it('links the demo from every typedoc page (the site: link of the header)', () => {
    const demo = new URL('demo/index.html', site.url).href;
    const without = [...visits].filter(([file]) => !file.startsWith('demo/')).filter(([, v]) => !v.links.includes(demo)).map(([file]) => file);
    expect(without).toEqual([]);
  });
});
