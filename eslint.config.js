// typescript-eslint's recommended type-aware rules over src/ and test/; formatting is Prettier's job.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { readFileSync } from 'node:fs';

const { printWidth } = JSON.parse(readFileSync(new URL('.prettierrc.json', import.meta.url), 'utf8'));
const MAX_LEN = {
  code: printWidth,
  ignoreUrls: true,
  ignoreRegExpLiterals: true,
  ignoreStrings: true,
  ignoreTemplateLiterals: true,
};

export default tseslint.config(
  {
    ignores: ['dist/', 'node_modules/', 'coverage/', 'test/fixtures/', '**/*.cjs', 'projects/', 'templates/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      'no-duplicate-imports': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Prettier wraps code at its printWidth (.prettierrc); what it cannot wrap (strings, URLs) may run past it.
      'max-len': ['error', MAX_LEN],
    },
  },
  {
    // An exit status is one of ExitCode's (src/errors/envctl-error.ts), named, never a bare number.
    files: ['src/**/*.ts'],
    rules: {
      // A file holds one job and a function one step of it (issue #25); the key table is data, not a function.
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "AssignmentExpression[left.object.name='process'][left.property.name='exitCode'] > Literal",
          message: 'Set process.exitCode from ExitCode (src/errors/envctl-error.ts), not a number.',
        },
        {
          selector:
            "CallExpression[callee.object.name='process'][callee.property.name='exit'] > :matches(Literal, ConditionalExpression > Literal)",
          message: 'Exit with a value of ExitCode (src/errors/envctl-error.ts), not a number.',
        },
      ],
    },
  },
  {
    // Tests read the engine's JSON answers as they come, and their fakes implement async interfaces simply.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The bench, the build scripts and the test helpers written in plain JavaScript: recommended rules, Node's globals.
    files: ['**/*.mjs', 'eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node, parserOptions: { project: false } },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'max-len': ['error', MAX_LEN] },
  },
);
