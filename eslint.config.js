// ESLint 9 flat config for the whole monorepo. Each package runs `eslint src test` (turbo task
// `lint`); typescript-eslint's non-type-checked rules keep a lint run to a few seconds.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['**/dist/', '**/site/', '**/.turbo/', '**/coverage/', 'runs/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.node },
    // A disable comment that no longer disables anything hides nothing but rot.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
);
