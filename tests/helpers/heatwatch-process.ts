/**
 * `heatwatch <command>` as a child process whose JSON log lines a test reads (and its stderr,
 * as lines `stderr: ...`), for tests that kill -9 a collector or a serve instance.
 *
 * @example
 * const c = startHeatwatch('collect-1', ['collect', '--shard', '1/1', '--config', file]);
 * await waitFor(() => c.logs.some((l) => l.msg === 'collector polling'), 15_000, 'polling');
 * c.p.kill('SIGKILL');
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface HeatwatchProcess {
  name: string;
  p: ChildProcess;
  /** JSON log lines, parsed, in order */
  logs: Array<{ time: string; msg: string; [k: string]: unknown }>;
}

export function startHeatwatch(name: string, args: string[]): HeatwatchProcess {
  const p = spawn(process.execPath, ['src/bin/heatwatch.js', ...args, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: HeatwatchProcess = { name, p, logs: [] };
  let rest = '';
  p.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    for (const l of lines) {
      try {
        proc.logs.push(JSON.parse(l));
      } catch {
        /* not a log line */
      }
    }
  });
  p.stderr!.on('data', (d: Buffer) => proc.logs.push({ time: new Date().toISOString(), msg: `stderr: ${d.toString()}` }));
  return proc;
}

/** The last lines of its log, for a failure message. */
export function logTail(p: HeatwatchProcess, n = 15): string {
  return p.logs.slice(-n).map((l) => `${p.name}: ${l.msg}`).join('\n');
}
