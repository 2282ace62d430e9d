import type { Logger } from 'pino';
import type { NodeId } from 'node-opcua-client';
import type { DeviceComm, Quality } from '../../model.ts';
import type { DevicePlan } from './plan.ts';

/** Per-device state of an OPC UA connection, kept across reconnects. */
export class DeviceRuntime {
  comm: DeviceComm = 'unknown';
  lastGoodAt: number;
  lastError = '';
  polls = 0;
  errors = 0;
  notifications = 0;
  lastLatenessMs = 0;
  readonly quality: Quality[];
  goodCount = 0;
  /** point indexes whose node the server does not know (logged once per connect) */
  readonly unknown = new Set<number>();
  /** latest EventId per condition, for Acknowledge */
  readonly eventIds = new Map<string, Buffer>();
  pollTimer: NodeJS.Timeout | null = null;
  polling = false;
  /** resolved node ids of this connection, by point index */
  resolved: NodeId[] = [];

  constructor(
    readonly plan: DevicePlan,
    readonly log: Logger,
    now: number,
  ) {
    this.lastGoodAt = now;
    this.quality = plan.items.map(() => 'bad' as Quality);
  }

  setQuality(i: number, q: Quality): void {
    if (this.quality[i] === 'good') this.goodCount--;
    this.quality[i] = q;
    if (q === 'good') this.goodCount++;
  }
}
