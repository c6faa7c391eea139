import tseslint from 'typescript-eslint';

const impure = [
  { name: 'express', message: 'src/domain is pure: no HTTP here.' },
  { name: 'lowdb', message: 'src/domain is pure: persistence lives in src/store.' },
  { name: 'lowdb/node', message: 'src/domain is pure: persistence lives in src/store.' },
  { name: 'fs', message: 'src/domain is pure: no disk access.' },
  { name: 'node:fs', message: 'src/domain is pure: no disk access.' },
  { name: 'node:fs/promises', message: 'src/domain is pure: no disk access.' },
];

export default tseslint.config(
  { ignores: ['**/*.gen.ts', 'node_modules/**', 'dist/**'] },
  {
    files: ['src/**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Time comes from the injected Clock (only runtime/ControllableClock.ts reads the wall clock).' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Time comes from the injected Clock.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Randomness comes from the injected IdGenerator.' },
      ],
    },
  },
  {
    files: ['src/runtime/ControllableClock.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['src/domain/**/*.ts'],
    ignores: ['src/domain/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: impure }],
    },
  },
);
