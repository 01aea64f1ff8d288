// ESLint: typescript-eslint's strict type-checked rules over src/, bench/ and test/, minus the ones
// that fight this codebase's deliberate style (see each rule's comment).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.lab/**', 'src/spec/schema-validator.generated.ts', 'test/lab/standins/**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Numbers and booleans read plainly in messages; objects and undefined are still caught.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // noUncheckedIndexedAccess is on: `map.get(k)!` after a check is the idiom, not a smell.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `(x) => void f(x)` and arrow shorthands that return void are the house style for callbacks.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
