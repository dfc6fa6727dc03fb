/** Two projects: fast unit specs beside the code, and e2e specs that boot the real app. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.jest.json' }];

module.exports = {
  // A global option: jest ignores it inside a project.
  testTimeout: 30000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
  ],
};
