// The season check at full size (issue: alarms a utility can trust): 500 stations × 7 days of
// a real winter's normal work and labelled faults through the default rules, the alarm runner
// and the ticket service, on the simulator's clock. Runs the stations in `--workers` processes
// (each evaluates every Nth station) and merges their figures. The test suite runs the same
// check on fewer station-days (tests/season/season.test.ts).
//   node --import tsx scripts/bench-season.ts [--stations 500] [--days 7] [--poll-ms 60000] [--workers 2]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { mergeReports, runSeason, type SeasonReport } from '../tests/season/harness.ts';

const { values } = parseArgs({
  options: {
    stations: { type: 'string', default: '500' },
    days: { type: 'string', default: '7' },
    'poll-ms': { type: 'string', default: '60000' },
    workers: { type: 'string', default: '2' },
    seed: { type: 'string', default: '17' },
    /** internal: run one shard and print its report as JSON */
    shard: { type: 'string' },
  },
});
const opts = { stations: Number(values.stations), days: Number(values.days), pollMs: Number(values['poll-ms']), seed: Number(values.seed), faultCount: 2, baselineFaults: Number(values.days) >= 6 };

if (values.shard) {
  const [index, of] = values.shard.split('/').map(Number);
  const r = await runSeason({ ...opts, shard: { index, of } });
  process.stdout.write(`season-report ${JSON.stringify(r)}\n`);
} else {
  const n = Number(values.workers);
  const wall0 = Date.now();
  const parts = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<SeasonReport>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-season.ts', ...process.argv.slice(2), '--shard', `${i}/${n}`], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        const report = () => JSON.parse(out.split('\n').find((l) => l.startsWith('season-report '))!.slice('season-report '.length)) as SeasonReport;
        p.on('exit', (code) => (code === 0 ? resolve(report()) : reject(new Error(`shard ${i}/${n} exited ${code}`))));
      }),
    ),
  );
  const r = mergeReports(parts);
  const detected = r.faults.filter((f) => f.detected);
  const after = detected.map((f) => f.afterS!).sort((a, b) => a - b);
  console.log(`${r.stations} stations × ${r.days} days, poll ${r.pollMs / 1000} s: ${(r.samples / 1e6).toFixed(1)} M samples in ${((Date.now() - wall0) / 1000).toFixed(0)} s over ${n} processes`);
  console.log(`normal work simulated: ${Object.entries(r.operations).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  console.log(`faults detected: ${detected.length} of ${r.faults.length} (target: all); time to alarm median ${after[Math.floor(after.length / 2)] ?? '-'} s, max ${after[after.length - 1] ?? '-'} s`);
  for (const f of r.faults) console.log(`  ${f.from}  ${f.fault.padEnd(13)} ${f.detected ? `${String(f.afterS).padStart(5)} s  P${f.priority}  ${f.alarm}` : 'NOT DETECTED'}`);
  console.log(`annunciated alarms outside faults: ${r.falseRaises} = ${r.falsePer10MinPer500.toFixed(3)} per 10 min per 500 stations (target ≤ 1); worst 10 min: ${r.peak10Min} (target ≤ 10)`);
  if (r.falseRaises) console.log(`  by rule: ${JSON.stringify(r.falseByRule)}`);
  console.log(`false priority 1–2 alarms: ${r.falseP12.length} (target 0); tickets opened: ${r.ticketsOpened}, false: ${r.falseTickets.length} (target 0)`);
  for (const t of r.falseTickets) console.log(`  false ticket ${t.priority} ${t.title}`);
}
