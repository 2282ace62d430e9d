import type { DeviceStatus, Sample } from '../model.ts';
import type { PollColumns } from '../poll-columns.ts';

/** What an adapter hands to the pipeline. Adapters know protocols, nothing of alarms or storage. */
export interface AdapterSink {
  /** all samples of one device poll (or one batch of notifications) */
  samples(batch: Sample[]): void;
  /**
   * A whole successful poll as columns (poll-columns.ts), if the sink takes them: the adapter then
   * makes no Sample objects for it. The arrays are the device's own; the sink copies what it keeps.
   */
  poll?(p: PollColumns): void;
  /** device communication state changes (online/offline) */
  status(status: DeviceStatus): void;
}

/** Per-device poll counters, for /metrics. */
export interface DeviceCounters {
  station: string;
  device: string;
  polls: number;
  errors: number;
  /** poll start lateness vs schedule, ms, most recent */
  lastLatenessMs: number;
  /** polls started more than the adapter's late threshold after their slot (the process was busy) */
  late?: number;
  /** poll periods that passed without a poll: the previous poll still running, or the process too busy */
  skipped?: number;
}

export interface Adapter {
  start(): Promise<void>;
  stop(): Promise<void>;
  counters(): DeviceCounters[];
}
