/**
 * The guides against the code they describe: the quickstart's example runs, the concepts guide
 * covers every registered regularizer, the CLI reference lists every command and option, every
 * guide is in the site; and the local server that `pnpm --filter @chainzrule/docs serve` runs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listRegularizers } from '@chainzrule/dreg';
import { docsDir, requireFrom, siteDir } from '../scripts/workspace.mjs';
import { loadCliProgram } from '../scripts/cli-reference.mjs';
import { startServer } from '../scripts/serve.mjs';

const guide = (name: string) => readFileSync(join(docsDir, 'guides', name), 'utf8');

describe('the guides', () => {
  it('quickstart: the "Use the packages" example runs and measures a model', async () => {
    const section = guide('quickstart.md').split('## Use the packages')[1]!;
    const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
    // tfjs is a peer the user installs; here it resolves to the copy the workspace packages use.
    const tfjsCore = pathToFileURL(requireFrom('@chainzrule/trainer').resolve('@tensorflow/tfjs-core')).href;
    const dir = join(docsDir, '.generated');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'quickstart-example.mjs');
    writeFileSync(file, code.replace("'@tensorflow/tfjs-core'", `'${tfjsCore}'`));
    // asynchronous: a synchronous child process would block vitest's worker RPC
    const { stdout: out } = await promisify(execFile)(process.execPath, [file], { cwd: docsDir, encoding: 'utf8', timeout: 170_000 });
    const accuracy = Number(/test accuracy ([\d.]+)/.exec(out)?.[1]);
    expect(accuracy).toBeGreaterThan(0.8);
    expect(out).toMatch(/g\(x\) summary \{[\s\S]*mean: [\d.]+,[\s\S]*peak: [\d.]+,[\s\S]*tailRatio: [\d.]+/);
  });

  it('concepts: gives the penalty of every registered regularizer', () => {
    const concepts = guide('concepts.md');
    for (const name of listRegularizers()) expect(concepts, `concepts.md does not describe '${name}'`).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });

  it('CLI reference: the built page lists every command and option of the chainzrule program', async () => {
    // commander's Command, as far as this test reads it (commander is the CLI's dependency, not ours)
    const program = (await loadCliProgram()) as { commands: { name(): string; options: { long?: string }[] }[] };
    const page = readFileSync(join(siteDir, 'documents', 'CLI_reference.html'), 'utf8');
    const commands = program.commands.filter((c) => c.name() !== 'help');
    expect(commands.map((c) => c.name())).toContain('fair-fight');
    for (const command of commands) {
      expect(page.replace(/<wbr\/>/g, '')).toContain(`<h2 id="chainzrule-${command.name()}"`);
      for (const option of command.options) if (option.long) expect(page, `${command.name()} ${option.long}`).toContain(option.long);
    }
  });

  it('tables: every row has as many cells as the header (a bare | inside `code` splits a cell: write \\|)', () => {
    const cells = (row: string) => row.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).length;
    for (const file of readdirSync(join(docsDir, 'guides')).filter((f) => f.endsWith('.md'))) {
      let inCode = false;
      let header = 0;
      guide(file)
        .split('\n')
        .forEach((line, i) => {
          if (line.startsWith('```')) inCode = !inCode;
          if (inCode || !line.trimStart().startsWith('|')) {
            header = 0;
            return;
          }
          if (header === 0) header = cells(line);
          else expect(cells(line), `${file}:${i + 1}`).toBe(header);
        });
    }
  });

  it('every guide is a page of the site, in the order typedoc.json gives', () => {
    const config = JSON.parse(readFileSync(join(docsDir, 'typedoc.json'), 'utf8')) as { projectDocuments: string[] };
    const files = readdirSync(join(docsDir, 'guides')).filter((f) => f.endsWith('.md'));
    expect([...config.projectDocuments].sort()).toEqual(files.map((f) => `guides/${f}`).sort());
    const titles = config.projectDocuments.map((p) => /^title: (.+)$/m.exec(readFileSync(join(docsDir, p), 'utf8'))![1]!);
    const home = readFileSync(join(siteDir, 'index.html'), 'utf8');
    for (const title of titles) expect(readdirSync(join(siteDir, 'documents'))).toContain(`${title.replace(/ /g, '_')}.html`);
    expect(home).toContain('ChainzRule');
  });
});

describe('the local server (pnpm --filter @chainzrule/docs serve)', () => {
  it('serves the site with the right types, index pages and 404s, and nothing outside it', async () => {
    const server = await startServer({ root: siteDir, port: 0 });
    try {
      const get = (path: string) => fetch(new URL(path, server.url));
      const home = await get('');
      expect(home.status).toBe(200);
      expect(home.headers.get('content-type')).toMatch(/^text\/html/);
      expect((await get('demo/')).status).toBe(200);
      expect((await get('demo/demo.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
      expect((await get('demo/models/summary.json')).headers.get('content-type')).toMatch(/^application\/json/);
      expect((await get('no-such-page.html')).status).toBe(404);
      // A raw request line, which fetch would normalise: must not escape the site directory.
      const escaped = await new Promise<number>((resolve, reject) => {
        import('node:http').then(({ request }) => {
          const req = request({ host: '127.0.0.1', port: server.port, path: '/%2e%2e/package.json' }, (res) => resolve(res.statusCode ?? 0));
          req.on('error', reject);
          req.end();
        }, reject);
      });
      expect([403, 404]).toContain(escaped);
    } finally {
      await server.close();
    }
  });
});
