/**
 * Alarm writes while the state database is away: kept in a local journal on disk, so a process
 * that stops during the outage loses nothing; operator actions refused before they change
 * anything; the next start writes the journal before restoring, so the alarm is not raised again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileRules } from '../../src/alarms/compile.ts';
import { DEFAULT_RULES } from '../../src/alarms/default-rules.ts';
import { AlarmRunner } from '../../src/alarms/runner.ts';
import type { Sample } from '../../src/model.ts';
import { spyLogger } from '../helpers/spy-logger.ts';
import { useStateDbs } from '../helpers/state-db.ts';
import { waitFor } from '../helpers/wait.ts';

const T0 = Date.UTC(2026, 11, 3, 8);
const FLOOD = 'hs-001.plc.flood:flood';

describe('alarm journal on postgresql', () => {
  const dbs = useStateDbs('postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'hw-journal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('journals during an outage, refuses actions, and writes the journal at the next start', async () => {
    const points = ['flood', 'power_ok'].map((point) => ({ station: 'hs-001', device: 'plc', point, pollMs: 1000 }));
    const compiled = compileRules([], points, { defaults: DEFAULT_RULES });
    let t = T0;
    const s = (v: boolean): Sample => ({ point: 'hs-001.plc.flood', ts: t, value: v, quality: 'good' });
    const journal = join(dir, 'alarm-journal.db');
    const db = await dbs.fresh();
    const a = await AlarmRunner.open({ compiled, db, logger: spyLogger(), now: () => t, journal });

    await db.close(); // the database goes away
    a.samples([s(true)]);
    await a.written();
    expect(a.get(FLOOD)?.state).toBe('unacked'); // evaluated and shown all the same
    await waitFor(() => a.writeStats().journaled > 0, 5000, 'the raise journaled');
    expect(a.writeStats()).toMatchObject({ failing: true, journaled: 1 });
    // an ack cannot be recorded with its audit row now: refused, nothing changed
    expect(await a.ack(FLOOD, 'desk-1', 'seen')).toMatchObject({ ok: false, status: 503 });
    expect(a.get(FLOOD)?.state).toBe('unacked');
    await a.stop(); // the process ends during the outage

    // the next start, database back: the journal written first, the alarm restored active, not raised twice
    t += 5000;
    const b = await AlarmRunner.open({ compiled, db: dbs.again(), logger: spyLogger(), now: () => t, journal });
    expect(b.takeReplayed().map((e) => [e.alarmId, e.type])).toEqual([[FLOOD, 'raise']]);
    expect(b.writeStats()).toMatchObject({ journaled: 0, failing: false });
    expect(b.get(FLOOD)?.state).toBe('unacked');
    b.samples([s(true)]);
    const history = await b.history({ from: 0, to: t + 1, alarmId: FLOOD });
    expect(history.map((e) => e.type)).toEqual(['raise']);
    expect((await b.ack(FLOOD, 'desk-1', 'seen')).ok).toBe(true);
    await b.stop();
  });
});
