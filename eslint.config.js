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
  // Layers (docs/architecture.md): dependencies point inward. test/architecture.test.ts proves
  // the same on the whole graph (cycles included); these rules say it while editing.
  {
    files: ['src/domain/**/*.ts'],
    ignores: ['src/domain/**/*.test.ts', 'src/domain/**/testSupport.ts', 'src/domain/**/testFixtures.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: impure,
          patterns: [
            { group: ['**/store/**', '**/runtime/**', '**/surfaces/**', '**/harness/**'], message: 'src/domain imports nothing from the outer layers; declare a port in ports.ts.' },
            { group: ['**/testSupport.ts', '**/testFixtures.ts'], message: 'test support is for tests only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/surfaces/**/*.ts'],
    ignores: ['src/surfaces/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/store/**', '**/runtime/**'], message: 'surfaces reach the emulator through surfaces/http/emulatorPort.ts, never the store or the runtime.' }] },
      ],
    },
  },
  {
    files: ['src/surfaces/konnect-v3/**/*.ts', 'src/surfaces/openmeter-v1/**/*.ts', 'src/surfaces/control/**/*.ts'],
    ignores: ['src/surfaces/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/store/**', '**/runtime/**'], message: 'surfaces reach the emulator through surfaces/http/emulatorPort.ts, never the store or the runtime.' },
            { group: ['../openmeter-v1/**', '../../openmeter-v1/**', '../konnect-v3/**', '../../konnect-v3/**', '../zuplo/**', '../../zuplo/**'], message: 'a surface does not import another surface (only Zuplo reuses v1 handlers, decision 0003).' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/surfaces/**/*.ts'],
    ignores: ['src/surfaces/control/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='c'][property.name='control']", message: 'only the control surface touches the control plane.' },
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Time comes from the injected Clock (only runtime/ControllableClock.ts reads the wall clock).' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Time comes from the injected Clock.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Randomness comes from the injected IdGenerator.' },
      ],
    },
  },
);
