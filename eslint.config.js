// ESLint: typescript-eslint's strict type-checked rules over src/ and bench/, its strict rules (not
// type-checked) over test/, minus the few that fight deliberate style (each says why).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const shared = {
  // noUncheckedIndexedAccess is on: `map.get(k)!` after a check is the idiom, not a smell.
  '@typescript-eslint/no-non-null-assertion': 'off',
  '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
};

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.lab/**', 'test-artifacts/**', 'src/spec/schema-validator.generated.ts', '**/*.cjs'],
  },
  js.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      ...shared,
      // Numbers and booleans read plainly in messages; objects and undefined are still caught.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `(x) => void f(x)` and arrow shorthands that return void are the house style for callbacks.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Passing on a caught `unknown` unchanged is how a rejection is forwarded (only-throw-error allows the same).
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    files: ['test/**/*.ts', '*.ts'],
    extends: [...tseslint.configs.strict],
    rules: shared,
  },
);
