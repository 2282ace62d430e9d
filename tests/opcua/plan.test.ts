import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/load.ts';
import { backoffMs, commLossWindowMs, qualityOf, sampleValue } from '../../src/adapters/opcua/plan.ts';
import { severityToPriority, toDeviceAlarmEvent } from '../../src/adapters/opcua/conditions.ts';
import { nodeIdProblem } from '../../src/adapters/opcua/options.ts';

const cfg = (device: string) => `stations:\n  - id: a\n    devices:\n      - ${device}\n`;
function problems(device: string): string[] {
  try {
    parseConfigText(cfg(device));
    return [];
  } catch (err) {
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('OPC UA plan and options (pure)', () => {
  it('maps StatusCode severity bits to quality', () => {
    expect(qualityOf(0)).toBe('good');
    expect(qualityOf(0x40910000)).toBe('uncertain'); // UncertainSensorNotAccurate
    expect(qualityOf(0x80340000)).toBe('bad'); // BadNodeIdUnknown
    expect(qualityOf(0x80310000)).toBe('bad'); // BadNoCommunication
  });
  it('keeps numbers and booleans, turns Int64 pairs into numbers, drops the rest', () => {
    expect(sampleValue(1.5)).toBe(1.5);
    expect(sampleValue(true)).toBe(true);
    expect(sampleValue([1, 5], true)).toBe(4294967301);
    expect(sampleValue('x')).toBeNull();
    expect(sampleValue(NaN)).toBeNull();
  });
  it('comm-loss window is max(3 × period, 60 s); backoff grows with jitter and a cap', () => {
    expect(commLossWindowMs(1000)).toBe(60_000);
    expect(commLossWindowMs(30_000)).toBe(90_000);
    expect(backoffMs(0, 500, 10_000, () => 0)).toBe(250);
    expect(backoffMs(10, 500, 10_000, () => 1)).toBe(10_000);
  });
  it('checks node id syntax', () => {
    expect(nodeIdProblem('ns=1;s=hs-001.t')).toBeNull();
    expect(nodeIdProblem('i=2253')).toBeNull();
    expect(nodeIdProblem('nsu=urn:x;s=a')).toBeNull();
    expect(nodeIdProblem('ns=1;i=abc')).toMatch(/not a whole number/);
    expect(nodeIdProblem('hs-001.t')).toMatch(/not a node id/);
  });
  it('names each bad OPC UA key by its path', () => {
    const p = problems('{ id: d, endpoint: "opc.tcp://h:4840", securityMode: Sign, securityPolicy: None, username: u, deadband: { type: percent, value: 150 }, points: [ { id: p, nodeId: "ns=1;s=x" } ] }');
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^stations\[0\]\.devices\[0\]\.securityPolicy: securityMode Sign needs a policy/),
        expect.stringMatching(/^stations\[0\]\.devices\[0\]\.username: username without password/),
        expect.stringMatching(/^stations\[0\]\.devices\[0\]\.deadband\.value: a percent deadband is 0\.\.100/),
      ]),
    );
    expect(problems('{ id: d, endpoint: "opc.tcp://h:4840", securityMode: Encrypt, points: [ { id: p, nodeId: "ns=1;s=x" } ] }')[0]).toMatch(/^stations\[0\]\.devices\[0\]\.securityMode/);
    expect(problems('{ id: d, endpoint: "modbus+tcp://h:502", alarms: import, points: [ { id: p, table: coil, address: 0, type: bool } ] }')).toEqual([
      'stations[0].devices[0].alarms: alarms applies to opcua devices only',
    ]);
    expect(problems('{ id: d, endpoint: "opc.tcp://h:4840", unit: 2, maxGap: 0, inFlight: 4, points: [ { id: p, nodeId: "ns=1;s=x" } ] }')).toEqual([
      'stations[0].devices[0].unit: unit applies to modbus devices only',
      'stations[0].devices[0].maxGap: maxGap applies to modbus devices only',
      'stations[0].devices[0].inFlight: inFlight applies to modbus devices only',
    ]);
    expect(problems('{ id: d, endpoint: "opc.tcp://h:4840", securityMode: SignAndEncrypt, username: u, password: p, alarms: import, mode: poll, points: [ { id: p, nodeId: "ns=1;s=x" } ] }')).toEqual([]);
  });
  it('turns condition events into device alarm events and ignores the others', () => {
    const ev = toDeviceAlarmEvent(
      { EventId: Buffer.from('0a0b', 'hex'), ConditionId: 'ns=1;s=hs-1.alarm.x', SourceName: 'pump1_fault', Message: { text: 'tripped' }, Severity: 800, Time: new Date(5), 'ActiveState.Id': true, 'AckedState.Id': false, Retain: true },
      'hs-1',
      'plc',
    );
    expect(ev).toEqual({ source: 'device', station: 'hs-1', device: 'plc', conditionId: 'ns=1;s=hs-1.alarm.x', sourceName: 'pump1_fault', eventId: '0a0b', active: true, acked: false, severity: 800, message: 'tripped', ts: 5, retain: true });
    expect(toDeviceAlarmEvent({ EventId: Buffer.alloc(1), Message: { text: 'RefreshStart' } }, 'a', 'b')).toBeNull();
    expect([900, 700, 500, 100].map(severityToPriority)).toEqual([1, 2, 3, 4]);
  });
});
