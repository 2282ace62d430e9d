import { defineConfig } from 'vitest/config';
import { classify, testFiles } from './tests/projects/classify.ts';

// Two projects over one set of files, split by what each file does (tests/projects/classify.ts):
// `unit` (pure, no servers: `npm run test:unit`) and `integration` (simulators, services,
// browser, the global influxd and mosquitto). Every file is in exactly one of them by
// construction, and tests/projects/projects.test.ts checks vitest agrees.
const files = testFiles();
const unit = files.filter((f) => classify(f) === 'unit');
const integration = files.filter((f) => classify(f) === 'integration');

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        // pure and CPU-bound: a second worker halves the wall time on 2 cores and cannot make
        // a pure test flaky; integration files keep the default (one worker) for their servers.
        // Not isolated: the files of a worker share one module cache, so the source is loaded
        // once per worker instead of once per file (48 s → 23 s). Pure tests hold no global
        // state (no module mocks, fake timers or environment changes) for this to leak.
        test: { name: 'unit', include: unit, maxWorkers: 2, isolate: false, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: integration,
          sequence: { groupOrder: 1 },
          // two files at a time: most of an integration test is waiting (for polls, timers,
          // processes starting), so two halve the wall time; each file still has its own
          // ports (reservePort), databases, topic prefixes and temp folders
          maxWorkers: 2,
          // and, like the unit files, not isolated: node-opcua, fastify and the rest load once
          // per worker instead of once per file (each file starts and stops its own servers)
          isolate: false,
          // processes and servers: a Node start-up alone can take seconds beside a busy core
          testTimeout: 90_000,
          // starts influxd and mosquitto on free ports for the run (tests/setup/servers.ts)
          globalSetup: ['tests/setup/global.ts'],
        },
      },
    ],
  },
});
