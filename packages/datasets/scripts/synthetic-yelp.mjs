#!/usr/bin/env node
// Writes a synthetic Yelp Full directory (train.csv, test.csv) of the benchmark's size and format:
//   node packages/datasets/scripts/synthetic-yelp.mjs OUT_DIR [--train-rows 650000] [--test-rows 50000] [--seed 0]
// Build first (pnpm build). See the README section "Yelp Full (ordinal regression)".
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSyntheticYelpCsv } from '../dist/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'train-rows': { type: 'string', default: '650000' }, 'test-rows': { type: 'string', default: '50000' }, seed: { type: 'string', default: '0' } },
});
const count = (name) => {
  const n = Number(values[name]);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`synthetic-yelp: --${name} must be an integer >= 0, got ${values[name]}\n`);
    process.exit(1);
  }
  return n;
};
if (positionals.length !== 1) {
  process.stderr.write('usage: synthetic-yelp.mjs OUT_DIR [--train-rows 650000] [--test-rows 50000] [--seed 0]\n');
  process.exit(1);
}
const dir = positionals[0];
mkdirSync(dir, { recursive: true });
const seed = count('seed');
const started = performance.now();
for (const [name, rows, s] of [['train.csv', count('train-rows'), seed], ['test.csv', count('test-rows'), seed + 1]]) {
  const r = await writeSyntheticYelpCsv(join(dir, name), { rows, seed: s });
  process.stdout.write(`${r.file}: ${r.rows} rows, ${(r.bytes / 1e6).toFixed(1)} MB, stars 1-5: ${r.counts.join(' ')}\n`);
}
process.stdout.write(`done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
