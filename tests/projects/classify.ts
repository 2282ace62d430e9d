/**
 * Which vitest project a test file belongs to, decided by what it does, so a new file lands in
 * the right one without a list to keep up:
 * - `integration`: the file, or a helper under tests/ that it imports (transitively), reaches
 *   outside its process: the global influxd/mosquitto (`inject(...)`), a simulator or service on
 *   sockets, a browser, a TCP/HTTP/WebSocket/MQTT connection, a child process (a server, or a CLI
 *   run to completion: each costs a Node start-up). These get the global setup and run twice
 *   in CI's flake check.
 * - `unit`: everything else, all in the test's process: pure code, SQLite files in a temp folder.
 *   No global setup, no ports, no processes.
 * A marker in a comment counts too: a false "integration" only costs speed, a false "unit"
 * would run a server test without its servers.
 *
 * @example
 * classify('tests/alarms/rules.test.ts'); // 'unit'
 * testFiles().filter((f) => classify(f) === 'integration');
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export type ProjectName = 'unit' | 'integration';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const TESTS = join(ROOT, 'tests');
/** this file spells the markers out; a test importing it is not an integration test for that */
const SELF = resolve(import.meta.dirname, 'classify.ts');

/** What makes a file an integration test: the pattern, the reason {@link why} gives, an example line. */
export const INTEGRATION_MARKERS: Array<{ re: RegExp; reason: string; example: string }> = [
  { re: /(?<![.\w])inject\(\s*['"]/, reason: 'uses the global servers (inject)', example: "const url = inject('influxUrl');" },
  {
    re: /\b(startSimulator|startService|startStack|startInfluxd|startMosquitto|startPostgres|launchBrowser)\b/,
    reason: 'starts a simulator, service, server or browser',
    example: 'export const sim = () => startSimulator({ stations: 1, modbusPort: 0 });',
  },
  { re: /from\s+['"](node:)?(net|http|https|dgram|tls)['"]/, reason: 'opens sockets', example: "import net from 'node:net';" },
  {
    re: /from\s+['"](ws|mqtt|playwright-core|modbus-serial|node-opcua-client|node-opcua-server|influx|pg)['"]/,
    reason: 'talks a network protocol',
    example: "import { connectAsync } from 'mqtt';",
  },
  { re: /from\s+['"](node:)?child_process['"]/, reason: 'starts processes', example: "import { spawnSync } from 'node:child_process';" },
  { re: /\bfetch\(/, reason: 'makes HTTP requests', example: 'await fetch(url);' },
  { re: /\.listen\(/, reason: 'listens on a port', example: 'server.listen(0);' },
  // pure, but days of simulated winter for a hundred stations: not for the fast run
  { re: /\brunSeason\(/, reason: 'runs the season check', example: 'const r = await runSeason({ stations: 100, days: 3 });' },
  // pure, but thousands of generated inputs per property: seconds each, not for the fast run
  { re: /from\s+['"]fast-check['"]/, reason: 'runs property-based fuzzing', example: "import fc from 'fast-check';" },
];

/** Lines a unit test may contain (the check's own test uses them). */
export const UNIT_EXAMPLES = [
  "import { mkdtempSync } from 'node:fs';",
  "import Database from 'better-sqlite3';",
  "const m = /x(\\d)/.exec('x1');",
  "const r = await svc.app.inject({ url: '/api/health' }); // fastify's in-process request",
];

/** Relative .ts imports of a file that live under `tests` (helpers, harnesses). */
function localImports(file: string, text: string, tests: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.{1,2}\/[^'"]+\.ts)['"]/g)) {
    const p = resolve(dirname(file), m[1]);
    if (p.startsWith(tests + '/') && existsSync(p)) out.push(p);
  }
  return out;
}

/**
 * Why `file` is an integration test (`file: reason`), or undefined when it is a unit test.
 * `tests` is the folder whose helpers are followed (tests/; another one in the check's own test).
 */
export function why(file: string, tests = TESTS): string | undefined {
  const seen = new Set<string>([SELF]);
  const todo = [resolve(ROOT, file)];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const text = readFileSync(f, 'utf8');
    for (const { re, reason } of INTEGRATION_MARKERS) if (re.test(text)) return `${relative(ROOT, f)}: ${reason}`;
    todo.push(...localImports(f, text, tests));
  }
  return undefined;
}

export function classify(file: string): ProjectName {
  return why(file) ? 'integration' : 'unit';
}

/** Every test file, relative to the repository root, sorted. */
export function testFiles(dir = TESTS): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p));
    else if (e.name.endsWith('.test.ts')) out.push(relative(ROOT, p));
  }
  return out.sort();
}
