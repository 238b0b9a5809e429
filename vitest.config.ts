import { defineConfig } from 'vitest/config'

// Three tiers: test/unit (anywhere), test/chain (real Hardhat network),
// test/model (real weights from the registry packages). All run in CI.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
