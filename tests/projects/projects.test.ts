// The split into vitest projects: every test file is in exactly one project, the one its
// content calls for; and the rule tells the cases apart. In-process (the config is read, not
// run), so it stays a unit test; CI's flake check lists files through vitest itself.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import config from '../../vitest.config.ts';
import { classify, INTEGRATION_MARKERS, ROOT, testFiles, UNIT_EXAMPLES, why } from './classify.ts';

describe('vitest projects', () => {
  it('puts every test file in exactly one project, the one tests/projects/classify.ts names', () => {
    const projects = (config.test?.projects ?? []) as Array<{ test: { name: string; include: string[] } }>;
    expect(projects.map((p) => p.test.name)).toEqual(['unit', 'integration']);
    expect(config.test?.include, 'no files outside the projects').toBeUndefined();
    const projectsOf = new Map<string, string[]>();
    for (const p of projects) for (const f of p.test.include) projectsOf.set(f, [...(projectsOf.get(f) ?? []), p.test.name]);
    const files = testFiles();
    expect([...projectsOf.keys()].sort()).toEqual(files);
    for (const f of files) expect(projectsOf.get(f), f).toEqual([classify(f)]);
  });

  it('gives the global servers to integration tests only', () => {
    const projects = (config.test?.projects ?? []) as Array<{ test: { name: string; globalSetup?: string[] } }>;
    expect(config.test?.globalSetup).toBeUndefined();
    expect(projects.find((p) => p.test.name === 'unit')!.test.globalSetup).toBeUndefined();
    expect(projects.find((p) => p.test.name === 'integration')!.test.globalSetup).toEqual(['tests/setup/global.ts']);
  });

  describe('the rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-classify-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
      const p = join(dir, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, `${text}\n`);
      return p;
    };

    it('pure code, temp SQLite files and in-process requests are unit tests', () => {
      expect(why(file('pure.test.ts', UNIT_EXAMPLES.join('\n')), dir)).toBeUndefined();
    });

    it('a helper that starts a simulator makes its importers integration tests, and says so', () => {
      file('h/harness.ts', INTEGRATION_MARKERS[1].example);
      const f = file('uses-helper.test.ts', "import { sim } from './h/harness.ts';");
      expect(why(f, dir)).toBe(`${relative(ROOT, join(dir, 'h/harness.ts'))}: ${INTEGRATION_MARKERS[1].reason}`);
    });

    it.each(INTEGRATION_MARKERS.map((m, i) => [m.example, m.reason, i] as const))('%s → integration (%s)', (example, reason, i) => {
      expect(why(file(`marker-${i}.test.ts`, example), dir)).toMatch(new RegExp(`: ${reason.replace(/[()]/g, '\\$&')}$`));
    });
  });
});
