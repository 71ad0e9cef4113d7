/**
 * typedoc plugin: `site:` links, for pages of the site that typedoc does not generate (the demo).
 *
 * A guide, a doc comment or the `navigationLinks` option may link to `site:demo/index.html`.
 * typedoc leaves such a link alone (it is not a relative path it would try to copy), and this
 * plugin rewrites it in every rendered page to the path from that page to `demo/index.html`, so
 * it works at any depth (`documents/x.html`, `classes/y.html`, `index.html`).
 */
import { PageEvent } from 'typedoc';

const SITE_LINK = /(href|src)="site:([^"]*)"/g;

/** The URL of site-root-relative `target` as seen from the page at site-root-relative `pageUrl`. */
export function fromPage(pageUrl, target) {
  const depth = pageUrl.split('/').length - 1;
  return `${'../'.repeat(depth)}${target}`;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.renderer.on(PageEvent.END, (page) => {
    if (page.contents) page.contents = page.contents.replace(SITE_LINK, (_, attribute, target) => `${attribute}="${fromPage(page.url, target)}"`);
  });
}
