import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/resolve.ts';
import type { DeviceStatus, Sample } from '../model.ts';
import type { ClusterCoordinator } from '../cluster/coordinator.ts';
import type { StateDb } from '../state/db.ts';
import type { StateStore } from '../state/state-store.ts';
import type { SeriesStore } from '../store/port.ts';
import type { TokenAuth } from './auth.ts';
import type { TicketService } from '../tickets/service.ts';
import type { NotifyService } from '../notify/service.ts';
import type { AlarmRunner } from '../alarms/runner.ts';
import type { ModeService } from '../modes/service.ts';
import type { AnalyticsService } from '../analytics/service.ts';
import type { IngestListener, SamplesListener } from '../ingest/pipeline.ts';

/** Live view of acquisition the API reads: latest values, device status, the sample feed. */
export interface LiveView {
  latest(point: string): Sample | undefined;
  deviceStatus(station: string, device: string): DeviceStatus | undefined;
  /** subscribe to every sample batch; returns the unsubscribe function */
  onSamples(listener: SamplesListener | IngestListener): () => void;
  health(): { status: 'ok' | 'degraded'; [k: string]: unknown };
}

export interface AppDeps {
  config: ResolvedConfig;
  auth: TokenAuth;
  live: LiveView;
  series: SeriesStore;
  state: StateStore;
  /** the state database through the async port (the service report, analytics reports, ticket markers read it) */
  stateDb?: StateDb;
  /** this instance's part in a cluster of serve instances (state in PostgreSQL), when there is one */
  cluster?: ClusterCoordinator;
  metrics: Registry;
  logger: Logger;
  /** the alarm runner; alarm routes exist only when it is given */
  alarms?: AlarmRunner;
  /** station modes and planned stops; their routes are registered when set */
  modes?: ModeService;
  /** ticket service (src/tickets); its routes are registered when set */
  tickets?: TicketService;
  /** on-call roster and notifications (src/notify); its routes are registered when set */
  notify?: NotifyService;
  /** the daily table and the ranking (src/analytics); its routes are registered when set */
  analytics?: AnalyticsService;
  /** injected clock */
  now?: () => number;
  /** folder with the built control-room page; served at / when present */
  dashboardDir?: string;
}

/** The state database the routes on the async port read; an app built without it cannot answer them. */
export function stateDbOf(deps: Pick<AppDeps, 'stateDb'>): StateDb {
  if (!deps.stateDb) throw new Error('this route reads the state database: build the app with deps.stateDb');
  return deps.stateDb;
}
