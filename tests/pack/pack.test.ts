/**
 * The pack test: what a newcomer gets from npm, checked from the tarballs we would publish.
 *
 * `pnpm pack` packs every public workspace package (rewriting `workspace:^` to real versions).
 * Then, for each package on its own, in a fresh npm project in a temporary directory:
 * 1. `npm install` what the README's install line names; the `@chainzrule/*` packages come from
 *    the tarballs, including the ones it depends on (they are not on the registry here), and
 *    everything else from the npm registry, through one npm cache shared by all packages;
 * 2. the README's first js example runs under Node ESM (as an `.mjs` file) and prints the values
 *    its comments promise; for the CLI, `npx chainzrule --help` and a tiny real `fair-fight`;
 * 3. a small TypeScript consumer (`consumers/<package>.ts`, strict, NodeNext) type-checks against
 *    the shipped `.d.ts`, including lines that must NOT compile.
 *
 * `CHAINZRULE_PACK_NPM_CACHE` moves the npm cache; `CHAINZRULE_PACK_KEEP=1` keeps the projects.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, publicPackages, readmeExample, readmeInstall, run, type Manifest } from './workspace.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const packages = publicPackages(root);
const keep = process.env['CHAINZRULE_PACK_KEEP'] === '1';
const npmCache = process.env['CHAINZRULE_PACK_NPM_CACHE'] || join(tmpdir(), 'chainzrule-pack-npm-cache');
const tsc = join(dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
const nodeTypes = join(root, 'node_modules', '@types');

/** What each README example must print (its comments say the same). */
const EXPECTED_OUTPUT: Record<string, RegExp[]> = {
  polynomial: [/^\[ \[ -0\.014\d*, 0\.058\d*, 0\.949\d* \] \] \[ \[ 0\.026\d*, 0\.5, 0\.043\d* \] \]/m, /^max \|fit - relu\| on \[-1, 1\]: 0\.059$/m],
  dreg: [/^82\.5$/m, /'jacobian-frobenius'/, /'spectral-norm'/],
  datasets: [/^mnist-train 1000 28x28$/m, /^5 0 4 1 9 2 1 3 1 4$/m, /^0\.494$/m],
  metrics: [/^1$/m, /mean: 3,/, /peak: 5,/],
  trainer: [/^backend: wasm$/m, /^test accuracy: 0\.(8|9)\d*$/m],
};

let work = '';
let tarballDir = '';
const tarballs = new Map<string, string>();
const packed = new Map<string, Manifest>();
const timings: { step: string; seconds: number }[] = [];

async function timed<T extends { seconds: number }>(step: string, result: Promise<T>): Promise<T> {
  const r = await result;
  timings.push({ step, seconds: r.seconds });
  return r;
}

/** The packages `names` need from the tarballs: themselves and their `@chainzrule` dependencies. */
function withChainzruleDependencies(names: string[]): string[] {
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    const manifest = packed.get(name);
    if (!manifest) throw new Error(`${name} is not one of the packed packages (${[...packed.keys()].join(', ')})`);
    out.add(name);
    for (const dep of Object.keys(manifest.dependencies ?? {})) if (dep.startsWith('@chainzrule/')) visit(dep);
  };
  names.forEach(visit);
  return [...out];
}

/** Where each package is installed under `dir`: every `node_modules/<name>`, at any depth. */
function installedPackages(dir: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const walk = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const names = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((e) => `${entry}/${e}`) : [entry];
      for (const name of names) {
        const at = join(modules, name);
        if (!existsSync(join(at, 'package.json'))) continue;
        found.set(name, [...(found.get(name) ?? []), at]);
        walk(join(at, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return found;
}

/** `tsc --noEmit` over `files` in `dir` with a consumer's settings (strict, NodeNext, Node types). */
function typeCheck(dir: string, files: string[], skipLibCheck: boolean, step: string) {
  const compilerOptions = {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022', 'DOM'],
    strict: true,
    noEmit: true,
    skipLibCheck,
    types: ['node'],
    typeRoots: [nodeTypes],
  };
  const config = `tsconfig.${skipLibCheck ? 'consumer' : 'strict'}.json`;
  writeFileSync(join(dir, config), JSON.stringify({ compilerOptions, files }, null, 2));
  return timed(step, run('node', [tsc, '-p', config], { cwd: dir }));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'chainzrule-pack-'));
  tarballDir = join(work, 'tarballs');
  mkdirSync(tarballDir);
  for (const pkg of packages) {
    if (!existsSync(join(pkg.dir, 'dist', 'index.js'))) throw new Error(`${pkg.name} is not built: run \`pnpm build\` first (turbo does it for test:pack)`);
    const r = await timed(`pack ${pkg.short}`, run('pnpm', ['pack', '--pack-destination', tarballDir], { cwd: pkg.dir, env: process.env }));
    if (r.code !== 0) throw new Error(explain(`pnpm pack in ${pkg.dir}`, r));
    const file = join(tarballDir, `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`);
    if (!existsSync(file)) throw new Error(`pnpm pack did not write ${file}`);
    tarballs.set(pkg.name, file);
    const manifest = await run('tar', ['-xzOf', file, 'package/package.json'], { cwd: work });
    packed.set(pkg.name, JSON.parse(manifest.stdout) as Manifest);
  }
});

afterAll(() => {
  const total = timings.reduce((s, t) => s + t.seconds, 0);
  console.log(`pack test steps (s):\n${timings.map((t) => `  ${t.step.padEnd(36)} ${t.seconds.toFixed(1)}`).join('\n')}\n  total ${total.toFixed(1)}`);
  if (keep) console.log(`projects kept in ${work}`);
  else if (work) rmSync(work, { recursive: true, force: true });
});

it('covers every public package', () => {
  expect(packages.map((p) => p.short).sort()).toEqual(['cli', 'datasets', 'dreg', 'metrics', 'polynomial', 'trainer']);
  for (const pkg of packages) if (!pkg.manifest.bin) expect(EXPECTED_OUTPUT, `expected output of ${pkg.name}'s README example`).toHaveProperty(pkg.short);
});

describe.each(packages.map((p) => [p.name, p] as const))('%s', (name, pkg) => {
  const project = () => join(work, pkg.short);

  it('packs an installable tarball: real versions, exports, types, README, LICENSE', async () => {
    const manifest = packed.get(name)!;
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {}))
      if (dep.startsWith('@chainzrule/')) expect(range, `${name} -> ${dep}`).toBe(`^${packages.find((p) => p.name === dep)!.version}`);
    expect(manifest.license).toBe('MIT');
    expect(manifest.publishConfig).toEqual({ access: 'public' });
    expect(manifest.peerDependencies?.['@tensorflow/tfjs-node'] === undefined || manifest.peerDependenciesMeta?.['@tensorflow/tfjs-node']?.optional).toBe(true);

    const list = await run('tar', ['-tzf', tarballs.get(name)!], { cwd: work });
    const files = new Set(list.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')));
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) expect(files, f).toContain(f);
    const targets = Object.values(manifest.exports ?? {}).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
    for (const t of [...targets, ...Object.values(manifest.bin ?? {})]) expect(files, `${name} exports ${t}`).toContain(t.replace(/^\.\//, ''));
    expect([...files].filter((f) => /tsbuildinfo|(^|\/)test\/|node_modules|\.test\.|\.tgz$/.test(f))).toEqual([]);
    // dist/ is never cleaned by tsc -b: a compiled file whose source is gone must not ship.
    const stale = [...files].filter((f) => /^dist\/.*\.js$/.test(f) && !files.has(f.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')));
    expect(stale, 'dist/*.js without a src/*.ts: run a clean build before packing').toEqual([]);
  });

  it('installs alone in a fresh npm project from its README install line', async () => {
    const words = readmeInstall(pkg.readme);
    expect(words, `${name}'s README has an \`npm install\` line in a sh block`).toBeDefined();
    const named = words!.filter((w) => w.startsWith('@chainzrule/')).map((w) => w.replace(/^(@chainzrule\/[^@]+)@.*$/, '$1'));
    expect(named).toContain(name);
    const fromTarballs = withChainzruleDependencies(named);
    const fromRegistry = words!.filter((w) => !w.startsWith('@chainzrule/'));

    mkdirSync(project());
    writeFileSync(join(project(), 'package.json'), `${JSON.stringify({ name: `try-${pkg.short}`, version: '1.0.0', private: true }, null, 2)}\n`);
    const args = ['install', ...fromTarballs.map((n) => tarballs.get(n)!), ...fromRegistry];
    const r = await timed(`npm install ${pkg.short}`, run('npm', [...args, '--cache', npmCache, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error'], { cwd: project() }));
    expect(r.code, explain('npm install', r)).toBe(0);

    const installed = installedPackages(project());
    // The optional peer that downloads libtensorflow at install time stays out.
    expect(installed.get('@tensorflow/tfjs-node')).toBeUndefined();
    // One tfjs-core: a second copy would have its own (empty) backend and kernel registry.
    expect(installed.get('@tensorflow/tfjs-core')?.length ?? 0).toBeLessThanOrEqual(1);
    for (const dep of fromTarballs) {
      const copies = installed.get(dep) ?? [];
      expect(copies, `${dep} installed once, from its tarball`).toHaveLength(1);
      expect((JSON.parse(readFileSync(join(copies[0]!, 'package.json'), 'utf8')) as Manifest).version).toBe(packed.get(dep)!.version);
    }
  });

  if (pkg.manifest.bin) {
    it('runs the command: npx chainzrule --help, --version and a tiny real fair-fight', async () => {
      const help = await timed(`${pkg.short} --help`, run('npx', ['chainzrule', '--help'], { cwd: project() }));
      expect(help.code, explain('chainzrule --help', help)).toBe(0);
      expect(help.stdout).toMatch(/Usage: chainzrule/);
      expect(help.stdout).toMatch(/fair-fight/);
      const version = await run('npx', ['chainzrule', '--version'], { cwd: project() });
      expect(version.stdout.trim()).toBe(pkg.version);

      const fightHelp = await run('npx', ['chainzrule', 'fair-fight', '--help'], { cwd: project() });
      expect(fightHelp.code, explain('chainzrule fair-fight --help', fightHelp)).toBe(0);
      // Small but real: 500 training images, one epoch, one seed; the two headline models and a
      // part of the test set where the installed version has the options for it.
      const small = [
        ...(fightHelp.stdout.includes('--models') ? ['--models', 'chainzrule,baseline-relu'] : []),
        ...(fightHelp.stdout.includes('--test-limit') ? ['--test-limit', '2000'] : []),
      ];
      const out = join(project(), 'run');
      const fight = await timed(
        `${pkg.short} fair-fight`,
        run('npx', ['chainzrule', 'fair-fight', '--train-limit', '500', '--epochs', '1', '--seeds', '1', ...small, '--out', out], { cwd: project() }),
      );
      expect(fight.code, explain('chainzrule fair-fight', fight)).toBe(0);
      console.log(`${name} fair-fight printed:\n${fight.stdout}`);
      expect(fight.stdout).toMatch(/^backend: wasm; results: /m);
      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { backend: string; runs: { model: string; testAccuracy: number }[] };
      expect(results.backend).toBe('wasm');
      expect(results.runs.map((r) => r.model).sort()).toEqual(['baseline-relu', 'chainzrule']);
      // 500 images, one epoch (4 steps): well above chance (0.1), far from trained.
      for (const run of results.runs) expect(run.testAccuracy).toBeGreaterThan(0.2);
    });
  } else {
    it('runs its README example under Node ESM', async () => {
      const example = readmeExample(pkg.readme);
      expect(example, `${name}'s README starts with a js example`).toBeDefined();
      writeFileSync(join(project(), 'readme-example.mjs'), example!);
      const r = await timed(`example ${pkg.short}`, run('node', ['readme-example.mjs'], { cwd: project() }));
      console.log(`${name} README example printed:\n${r.stdout}`);
      expect(r.code, explain('node readme-example.mjs', r)).toBe(0);
      for (const pattern of EXPECTED_OUTPUT[pkg.short] ?? []) expect(r.stdout).toMatch(pattern);
    });
  }

  it('type-checks a TypeScript consumer against the shipped types', async () => {
    copyFileSync(join(here, 'consumers', `${pkg.short}.ts`), join(project(), 'consumer.mts'));
    // A newcomer's settings: strict, NodeNext, and skipLibCheck as in most tfjs projects (the
    // tfjs 4.22 .d.ts files do not pass a strict check themselves). The last test checks ours.
    const r = await typeCheck(project(), ['consumer.mts'], true, `tsc ${pkg.short}`);
    expect(r.code, explain('tsc --noEmit', r)).toBe(0);
  });
});

it('every shipped .d.ts type-checks with skipLibCheck off (errors in tfjs .d.ts files aside)', async () => {
  // One project has every package: the one whose README installs the most of them (the CLI).
  const all = packages.map((p) => p.name);
  const host = packages.find((p) => all.every((n) => existsSync(join(work, p.short, 'node_modules', n, 'package.json'))));
  expect(host, 'a project with every package installed').toBeDefined();
  const dir = join(work, host!.short);
  const files = packages.map((p) => {
    copyFileSync(join(here, 'consumers', `${p.short}.ts`), join(dir, `consumer-${p.short}.mts`));
    return `consumer-${p.short}.mts`;
  });
  const r = await typeCheck(dir, files, false, 'tsc all, skipLibCheck off');
  // With skipLibCheck on, an import in our .d.ts that does not resolve (a type-only package
  // missing from `dependencies`, a hand-written `declare module` left in src/) silently turns
  // into `any`; here it is an error located in node_modules/@chainzrule/.
  const errors = r.stdout.split('\n').filter((line) => / error TS\d+:/.test(line));
  const ours = errors.filter((line) => !line.startsWith('node_modules/') || line.startsWith('node_modules/@chainzrule/'));
  expect(ours, explain('tsc --noEmit', r)).toEqual([]);
  expect(r.code === 0 || errors.length > 0, explain('tsc --noEmit', r)).toBe(true);
});
