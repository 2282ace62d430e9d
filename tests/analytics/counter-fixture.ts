/**
 * A heat meter's history for the increase tests: three days polled every 30 s at 0.2 GJ per
 * poll through a 47-minute outage across midnight (20 min before to 27 min after), a wrap of its
 * register at 1e6 (about 12:30 of the middle day), a meter replaced at 20:00 of that day
 * (restarting at 1.5 GJ), bad samples every 7 minutes and uncertain ones every 11.
 */
import type { Sample } from '../../src/model.ts';

export const COUNTER_POINT = 'hs-001.plc.heat_energy';
/** local midnight starting the middle day: 2026-12-07 00:00 Asia/Shanghai */
export const COUNTER_DAY = Date.UTC(2026, 11, 6, 16);
export const COUNTER_ROLLOVER = 1e6;
const M = 60_000;

/** The samples, and what the meter really counted over the middle day (a reset counting the new meter from 0). */
export function counterHistory(): { samples: Sample[]; truth: number } {
  const day = COUNTER_DAY;
  const samples: Sample[] = [];
  let truth = 0;
  let counter = 999_700 - 576;
  for (let t = day - 86_400_000; t < day + 2 * 86_400_000; t += 30_000) {
    counter += 0.2;
    if (t >= day && t < day + 86_400_000) truth += 0.2;
    if (counter >= COUNTER_ROLLOVER) counter -= COUNTER_ROLLOVER;
    if (t === day + 20 * 3_600_000) {
      counter = 1.5;
      truth += 1.5 - 0.2; // the reset counts the new meter from 0; the old meter's last 0.2 was not seen
    }
    if (t >= day - 20 * M && t < day + 27 * M) continue;
    if (t % (7 * M) === 0) samples.push({ point: COUNTER_POINT, ts: t, value: null, quality: 'bad' });
    else samples.push({ point: COUNTER_POINT, ts: t, value: Math.round(counter * 100) / 100, quality: t % (11 * M) === 0 ? 'uncertain' : 'good' });
  }
  return { samples, truth };
}
