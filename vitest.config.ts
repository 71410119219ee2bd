import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['ampkit-source'] },
  ssr: { resolve: { conditions: ['ampkit-source'], externalConditions: ['ampkit-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
})
