#!/usr/bin/env node
/**
 * `pnpm docs:build`: the whole static site in `apps/docs/site/`.
 *
 *   1. the demo models: trained on MNIST by train-demo-models.mjs, unless demo-models/ is
 *      already current (same script, packages, tfjs and data: see its fingerprint)
 *   2. the CLI reference's option tables, from the chainzrule program (cli-reference.mjs)
 *   3. typedoc: the guides (guides/*.md) and the API reference of every package
 *   4. the demo page, its modules and the models, into site/demo/ (assemble-demo.mjs)
 *
 * Usage: node scripts/build-site.mjs [--retrain] [--quiet]
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { docsDir } from './workspace.mjs';
import { trainDemoModels } from './train-demo-models.mjs';
import { assembleDemo } from './assemble-demo.mjs';
import { writeCliReference } from './cli-reference.mjs';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--retrain' && a !== '--quiet');
if (unknown.length) {
  process.stderr.write(`build-site: unknown option ${unknown[0]}; use --retrain (train the demo models again) or --quiet\n`);
  process.exit(2);
}
const quiet = args.includes('--quiet');

await trainDemoModels({ force: args.includes('--retrain'), quiet });
await writeCliReference();

const typedocCli = join(createRequire(import.meta.url).resolve('typedoc/package.json'), '..', 'bin', 'typedoc');
const typedoc = spawnSync(process.execPath, [typedocCli, '--options', 'typedoc.json', ...(quiet ? ['--logLevel', 'Warn'] : [])], {
  cwd: docsDir,
  stdio: 'inherit',
});
if (typedoc.status !== 0) {
  process.stderr.write(`build-site: typedoc failed (exit ${typedoc.status ?? typedoc.signal})\n`);
  process.exit(1);
}

await assembleDemo({ quiet });
