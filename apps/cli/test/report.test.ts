import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartSpecs, renderMarkdown, type FairFightResults } from '../src/report/index.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
/** Debian's `chromium` package; override with CHROMIUM_PATH. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const made: string[] = [];
const tmp = (prefix = 'chainzrule-report-') => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
};

// One real, short run feeds every test: two cheap models, two seeds (so there are std and
// t-tests), 1500 training images, 2000 test images.
let out = '';
let results: FairFightResults;
let stdout = '';
beforeAll(async () => {
  out = join(tmp(), 'run');
  // Asynchronous: a synchronous spawn would block vitest's worker RPC for the whole run.
  stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [bin, 'fair-fight', '--models', 'chainzrule,baseline-relu-small', '--seeds', '2', '--train-limit', '1500', '--test-limit', '2000', '--epochs', '1', '--out', out, '--quiet'],
      { encoding: 'utf8', timeout: 300_000 },
      (error, printed, stderr) => (error ? reject(new Error(`fair-fight failed: ${stderr || error.message}`)) : resolve(printed)),
    ),
  );
  results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
}, 300_000);
afterAll(() => {
  if (!process.env['KEEP_REPORT']) made.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('fair-fight results and report files', () => {
  it('results.json keeps the spine fields and adds the new metrics per run', () => {
    expect(results.runs.map((x) => `${x.model}/${x.seed}`)).toEqual(['chainzrule/0', 'baseline-relu-small/0', 'chainzrule/1', 'baseline-relu-small/1']);
    expect(results.config).toMatchObject({ seeds: 2, trainSamples: 1500, testSamples: 2000, models: ['chainzrule', 'baseline-relu-small'] });
    for (const x of results.runs) {
      expect(Object.keys(x.volatility).sort()).toEqual(['mean', 'p50', 'p99', 'peak', 'tailRatio']);
      expect(x.fgsm.map((f) => f.epsilon)).toEqual([0.05, 0.1, 0.2]);
      // a bigger attack never helps
      expect(x.fgsm[2]!.accuracy).toBeLessThanOrEqual(x.fgsm[0]!.accuracy);
      expect(x.fgsm[0]!.accuracy).toBeLessThanOrEqual(x.testAccuracy + 0.01);
      // every finite-difference and gradient measurement stays below the certified bound
      expect(x.lipschitzBound).toBeGreaterThanOrEqual(x.localSensitivity.peak);
      expect(x.lipschitzBound).toBeGreaterThanOrEqual(x.volatility.peak);
      expect(x.localSensitivity).toMatchObject({ radius: 0.1, directions: 16, samples: 2000 });
      // 1500 images, batch 128: 12 steps
      expect(x.trainingGradient.steps).toBe(12);
      expect(x.trainingGradient.peak).toBeGreaterThanOrEqual(x.trainingGradient.mean);
      expect(x.curves.loss).toHaveLength(12);
    }
    expect(results.summary.models.map((m) => m.model)).toEqual(['chainzrule', 'baseline-relu-small']);
    // 2 seeds: a Welch test per compared metric, Bonferroni over all of them
    const tests = results.summary.comparisons.length;
    expect(tests).toBe(10); // accuracy, g mean, g peak, tail, local sens. peak, Lipschitz, 3 FGSM, train grad std
    for (const c of results.summary.comparisons) expect(c.pAdjusted).toBeCloseTo(Math.min(1, c.p! * tests), 12);
    // baseline-relu did not run: the claims say so instead of guessing
    expect(results.summary.claims).toHaveLength(4);
    expect(results.summary.claims.every((c) => c.reproduced === null)).toBe(true);
    expect(stdout).toMatch(/mean ± std over 2 seeds/);
  });

  it('report.md has the claims, the model tables, the tests and every run', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/^# Fair Fight on mnist: chainzrule, baseline-relu-small \(2 seeds\)/);
    expect(md).toMatch(/\| far fewer parameters than the standard model \(784-512-10 ReLU\) \| 15\.5x fewer \| not measured: needs chainzrule and baseline-relu in --models \| not measured \|/);
    expect(md).toMatch(/## ChainzRule against each model: Welch t-test/);
    expect(md).toMatch(/10 tests, each p multiplied by 10/);
    const acc = results.summary.models[0]!.metrics['testAccuracy']!;
    expect(md).toContain(`| chainzrule | 25,455 | ${acc.mean.toFixed(4)} ± ${acc.std!.toFixed(4)} |`);
    expect(md.match(/^\| (chainzrule|baseline-relu-small) \| [01] \|/gm)).toHaveLength(4);
    expect(md).not.toMatch(/\/(tmp|work|home|root)\//); // no machine paths
  });

  it('claims render with an honest verdict (a fixture with both models)', () => {
    const fixture: FairFightResults = {
      ...results,
      summary: {
        ...results.summary,
        claims: [
          { claim: 'c1', paper: 'p1', measured: 'm1 | with a pipe', reproduced: true },
          { claim: 'c2', paper: 'p2', measured: 'm2', reproduced: false },
        ],
      },
    };
    const md = renderMarkdown(fixture);
    expect(md).toContain('| c1 | p1 | m1 \\| with a pipe | reproduced |');
    expect(md).toContain('| c2 | p2 | m2 | not reproduced |');
  });
});

describe('report.html in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium) or set CHROMIUM_PATH`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('renders every chart as SVG with no console error and no network request', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(join(out, 'report.html')).href;
    await page.goto(url, { waitUntil: 'load' });
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    const ids = chartSpecs(results).map((c) => c.id);
    expect(ids).toEqual(['volatility-cdf', 'accuracy-vs-peak', 'training-loss', 'training-gradient', 'fgsm']);
    for (const id of ids) {
      const svg = page.locator(`figure#${id} svg`);
      expect(await svg.count()).toBe(1);
      const box = (await svg.boundingBox())!;
      expect(box.width).toBeGreaterThan(300);
      expect(box.height).toBeGreaterThan(200);
      // drawn marks, not an empty frame: lines or points in the plot area
      expect(await page.locator(`figure#${id} svg path, figure#${id} svg .mark-symbol path`).count()).toBeGreaterThan(4);
    }
    // the legend names the models
    expect(await page.locator('figure#volatility-cdf svg text', { hasText: 'baseline-relu-small' }).count()).toBeGreaterThan(0);
    const shots = process.env['REPORT_SCREENSHOT_DIR'] ?? tmp('chainzrule-shot-');
    await page.screenshot({ path: join(shots, 'report.png'), fullPage: true });
    expect(existsSync(join(shots, 'report.png'))).toBe(true);
    await page.close();
  });
});
