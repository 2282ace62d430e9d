/**
 * Model speed for the season check: `node --import tsx simulators/bench-model.ts [stations] [hours]`.
 * Milliseconds per simulated hour for a network stepped at 1 s and 5 s, with operations off and
 * on, one-zone and three-zone templates (after a warm-up hour, so the JIT has settled). CPU time
 * of this process, so other load on the machine does not inflate it.
 */
import { createNetwork } from './model.ts';
import { loadTemplate, type TemplateName } from './templates.ts';

const stations = Number(process.argv[2] ?? 500);
const hours = Number(process.argv[3] ?? 6);
const T0 = Date.UTC(2026, 0, 11, 16, 0);
const H = 3_600_000;

for (const template of ['hs-plc', 'hs-plc-3zone'] as TemplateName[]) {
  for (const stepMs of [1000, 5000]) {
    for (const operations of [false, true]) {
      const net = createNetwork({ stations, seed: 1, template: loadTemplate(template), startMs: T0, stepMs, operations });
      net.advance(T0 + H);
      const a = process.cpuUsage();
      net.advance(T0 + (1 + hours) * H);
      const used = process.cpuUsage(a);
      const ms = (used.user + used.system) / 1000 / hours;
      console.log(`${template.padEnd(12)} step ${String(stepMs).padStart(4)} ms  operations ${operations ? 'on ' : 'off'}  ${ms.toFixed(0).padStart(5)} ms CPU per simulated hour (${stations} stations; 7 days ≈ ${((ms * 168) / 1000).toFixed(0)} s)`);
    }
  }
}
