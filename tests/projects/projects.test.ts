// The split into vitest projects: every test file is in exactly one project, the one its
// content calls for, as vitest itself resolves the config; and the rule tells the cases apart.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classify, INTEGRATION_MARKERS, ROOT, testFiles, UNIT_EXAMPLES, why } from './classify.ts';

describe('vitest projects', () => {
  it('vitest puts every test file in exactly one project, the one tests/projects/classify.ts names', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'list', '--filesOnly', '--json'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout) as Array<{ file: string; projectName?: string }>;
    const projectsOf = new Map<string, string[]>();
    for (const { file, projectName } of listed) {
      const f = file.slice(ROOT.length + 1);
      projectsOf.set(f, [...(projectsOf.get(f) ?? []), projectName ?? '(none)']);
    }
    const files = testFiles();
    expect([...projectsOf.keys()].sort()).toEqual(files);
    for (const f of files) expect(projectsOf.get(f), f).toEqual([classify(f)]);
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

    it('pure code, temp SQLite files and a CLI run to completion are unit tests', () => {
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
