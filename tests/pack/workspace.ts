/**
 * What the pack test needs to know about the workspace and the npm side: the public packages,
 * their README's install line and first example, and a child-process runner whose environment
 * is a newcomer's (no pnpm or npm settings inherited from the script that started it).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface WorkspacePackage {
  /** `@chainzrule/polynomial` */
  name: string;
  /** `polynomial` */
  short: string;
  version: string;
  /** absolute directory */
  dir: string;
  readme: string;
  manifest: Manifest;
}

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  files?: string[];
  publishConfig?: Record<string, string>;
  license?: string;
}

/** Every package that is published: `packages/*` and `apps/*` minus the private ones. */
export function publicPackages(root: string): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const group of ['packages', 'apps']) {
    for (const entry of readdirSync(join(root, group)).sort()) {
      const dir = join(root, group, entry);
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
      if (manifest.private) continue;
      found.push({
        name: manifest.name,
        short: manifest.name.replace(/^@chainzrule\//, ''),
        version: manifest.version,
        dir,
        readme: readFileSync(join(dir, 'README.md'), 'utf8'),
        manifest,
      });
    }
  }
  return found;
}

interface Fence {
  lang: string;
  body: string;
}

function fences(markdown: string): Fence[] {
  return [...markdown.matchAll(/^```(\w*)[^\n]*\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1]!, body: m[2]! }));
}

/** The README's example: its first ```js block (what the package README promises runs as is). */
export function readmeExample(readme: string): string | undefined {
  return fences(readme).find((f) => ['js', 'javascript', 'mjs'].includes(f.lang))?.body;
}

/**
 * The packages the README tells a newcomer to install: the words after `npm install` in its
 * first shell block that has one, without flags and comments.
 */
export function readmeInstall(readme: string): string[] | undefined {
  for (const f of fences(readme).filter((f) => ['sh', 'bash', 'shell', 'console'].includes(f.lang))) {
    const line = f.body.split('\n').find((l) => /^\s*\$?\s*npm (install|i)\s/.test(l));
    if (!line) continue;
    const words = line.replace(/#.*$/, '').trim().replace(/^\$\s*/, '').split(/\s+/).slice(2);
    return words.filter((w) => !w.startsWith('-'));
  }
  return undefined;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/**
 * The environment of a fresh shell: without the `npm_*` / `pnpm_*` variables that pnpm, npm and
 * turbo set for the script running this test (they would change how npm resolves and installs),
 * and without `CHAINZRULE_*` settings (the examples run with the defaults).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|chainzrule_|turbo_|vitest)/i.test(k) || ['NODE_OPTIONS', 'NODE_ENV', 'INIT_CWD'].includes(k)) continue;
    env[k] = v;
  }
  // Script runners put the workspace's node_modules/.bin folders on PATH; a newcomer has none.
  env.PATH = (env.PATH ?? '').split(delimiter).filter((p) => !p.includes('node_modules')).join(delimiter);
  return { ...env, ...extra };
}

/** Runs a command to the end; never throws for a non-zero exit (the caller checks `code`). */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - start) / 1000 });
    });
  });
}

/** A one-paragraph account of a failed command, for assertion messages. */
export function explain(what: string, r: RunResult): string {
  const tail = (s: string) => s.split('\n').slice(-40).join('\n');
  return `${what} exited with ${r.code}\n--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`;
}
