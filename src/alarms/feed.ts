import type { IngestListener } from '../ingest/pipeline.ts';
import type { ModeService } from '../modes/service.ts';
import type { AlarmRunner } from './runner.ts';

/**
 * The pipeline's listener for the alarm runner, as samples or as a poll's columns: the PLC's
 * mode and check-in points first, so the same poll's door or pressure is judged in the new mode.
 */
export function alarmFeed(modes: Pick<ModeService, 'reportSamples' | 'reportPoll'>, alarms: Pick<AlarmRunner, 'applyContexts' | 'samples' | 'poll'>): IngestListener {
  return {
    samples: (batch) => {
      const changed = modes.reportSamples(batch);
      if (changed.length) alarms.applyContexts(true, changed);
      alarms.samples(batch);
    },
    poll: (p) => {
      const changed = modes.reportPoll(p);
      if (changed.length) alarms.applyContexts(true, changed);
      alarms.poll(p);
    },
  };
}
