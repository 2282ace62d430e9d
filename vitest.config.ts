import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // starts influxd and mosquitto on free ports for the run (tests/setup/servers.ts)
    globalSetup: ['tests/setup/global.ts'],
  },
});
