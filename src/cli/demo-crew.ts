/**
 * The demo's crews: what a utility's crews do in the field app, done for the simulator's
 * scheduled work. A crew that drains and refills a riser or replaces a meter checks the station
 * into maintenance for the job; a patrol outside attended hours checks in too. In a real
 * deployment these come from operators and the field app, through the same mode API.
 */
import type { Logger } from 'pino';
import type { ModeService } from '../modes/service.ts';
import type { SimOperation } from '../../simulators/index.ts';

const EVERY_MS = 5_000;

function attended(t: number): boolean {
  const h = (((t + 8 * 3_600_000) % 86_400_000) + 86_400_000) % 86_400_000 / 3_600_000;
  return h >= 8 && h < 18;
}

export function startDemoCrews(o: { operations: (from: number, to: number) => SimOperation[]; modes: ModeService; now: () => number; logger: Logger }): () => void {
  let last = o.now();
  const checkIn = (op: SimOperation, why: string) => {
    const until = op.toMs + 60_000;
    if (until <= o.now()) return;
    o.modes
      .setMode([op.station], { mode: 'maintenance', comment: `班组到站 crew on site: ${why}`, until }, { name: 'demo-crew', role: 'operator' })
      .catch((err: unknown) => o.logger.warn({ err, station: op.station }, 'demo crew could not check in'));
  };
  const timer = setInterval(() => {
    const now = o.now();
    for (const op of o.operations(last, now)) {
      if (op.fromMs < last || op.fromMs >= now) continue;
      if (op.kind === 'refill') checkIn(op, 'riser drain and refill');
      else if (op.kind === 'meter_replace') checkIn(op, 'meter replacement');
      else if (op.kind === 'patrol' && !(attended(op.fromMs) && attended(op.toMs - 1))) checkIn(op, 'patrol outside attended hours');
    }
    last = now;
  }, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
