/**
 * vitest global setup: one influxd and one mosquitto for the whole run, on free ports with
 * temporary data directories; tests read their URLs with `inject('influxUrl')` /
 * `inject('mqttUrl')`. Tests that must stop a server start their own (./servers.ts).
 */
import type { TestProject } from 'vitest/node';
import { startInfluxd, startMosquitto, type ManagedServer } from './servers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    influxUrl: string;
    mqttUrl: string;
  }
}

let servers: ManagedServer[] = [];

export async function setup(project: TestProject): Promise<void> {
  const [influx, mqtt] = await Promise.all([startInfluxd(), startMosquitto()]);
  servers = [influx, mqtt];
  project.provide('influxUrl', influx.url);
  project.provide('mqttUrl', mqtt.url);
}

export async function teardown(): Promise<void> {
  await Promise.all(servers.map((s) => s.destroy()));
  servers = [];
}
