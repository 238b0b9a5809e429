import { defineConfig } from 'vitest/config'

// Three tiers: test/unit (anywhere), test/chain (real Hardhat network),
// test/model (real weights from the registry packages). All run in CI.
// The web app's .tsx files (test/unit/web) use Preact's JSX runtime.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
