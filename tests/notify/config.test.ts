import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/load.ts';

const STATIONS = `
stations:
  - { id: hs-001, area: 南岗区, devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ] }
  - { id: hs-002, area: 道里区, devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ] }
`;

const problems = (yaml: string): string[] => {
  try {
    parseConfigText(STATIONS + yaml, 'test');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
};

describe('notify config', () => {
  it('defaults: no teams, no channels, retry for hours', () => {
    const cfg = parseConfigText(STATIONS, 'test');
    expect(cfg.notify).toEqual({ teams: [], defaultTeam: null, channels: [], smtp: null, retry: { baseMs: 2000, maxMs: 300_000, maxAttempts: 20, maxAgeMs: 4 * 3_600_000 } });
  });

  it('fills teams, channels and SMTP; a team without channels uses every one', () => {
    const cfg = parseConfigText(
      `${STATIONS}
notify:
  teams:
    - { id: south, name: 南岗维修班, areas: [南岗区], channels: [ops] }
    - { id: all, name: 抢修队, areas: ["*"], faultClasses: [leak] }
  defaultTeam: south
  channels:
    - { name: ops, kind: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k" }
    - { name: ding, kind: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=t", secret: SEC12345678 }
    - { name: mail, kind: email }
  smtp: { host: smtp.example.com, auth: { user: noc, pass: pw }, from: "noc@example.com" }
  retry: { baseMs: 50, maxAgeH: 1 }
`,
      'test',
    );
    expect(cfg.notify.teams[1]).toEqual({ id: 'all', name: '抢修队', areas: ['*'], categories: null, faultClasses: ['leak'], channels: ['ops', 'ding', 'mail'] });
    expect(cfg.notify.channels[1]).toEqual({ name: 'ding', kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=t', secret: 'SEC12345678', timeoutMs: 10_000 });
    expect(cfg.notify.smtp).toEqual({ host: 'smtp.example.com', port: 587, secure: false, starttls: 'opportunistic', auth: { user: 'noc', pass: 'pw' }, from: 'noc@example.com' });
    expect(cfg.notify.retry).toEqual({ baseMs: 50, maxMs: 300_000, maxAttempts: 20, maxAgeMs: 3_600_000 });
  });

  it('reports every problem across keys in one pass, each at its path', () => {
    expect(
      problems(`
tickets:
  webhooks: [ { name: crm, url: "https://crm.example.com/hook", secret: "0123456789" } ]
notify:
  teams:
    - { id: south, name: 南岗, areas: [南岗区, 火星区], channels: [ops, nowhere] }
    - { id: south, name: 重复, areas: ["*"] }
  defaultTeam: east
  channels:
    - { name: ops, kind: wecom, url: "https://qyapi.weixin.qq.com/x" }
    - { name: crm, kind: email }
    - { name: ops, kind: dingtalk, url: "ftp://x" }
`),
    ).toEqual([
      "notify.channels[2].url: must match pattern ^https?://, got 'ftp://x'",
      "notify.channels[1].name: 'crm' is also a webhook's name (tickets.webhooks): outbox receivers need names of their own",
      'notify.channels[1].kind: an email channel needs notify.smtp',
      "notify.teams[0].areas[1]: no station is in area '火星区' (areas: 南岗区, 道里区)",
      "notify.teams[1].id: duplicate team id 'south'",
      "notify.defaultTeam: unknown team 'east'",
    ]);
  });

  it('a team that failed the schema is reported once, not again as unknown', () => {
    expect(
      problems(`
notify:
  teams: [ { id: "South Team", name: 南岗, areas: [南岗区] } ]
  defaultTeam: south-team
`),
    ).toEqual([expect.stringMatching(/^notify\.teams\[0\]\.id: must match pattern/)]);
  });

  it('SMTP: one of pass and passEnv; an unset variable is named', () => {
    expect(problems(`notify: { smtp: { host: h, from: a@b.c, auth: { user: u } } }`)).toEqual(['notify.smtp.auth: give exactly one of pass or passEnv']);
    expect(problems(`notify: { smtp: { host: h, from: a@b.c, auth: { user: u, passEnv: HEATWATCH_TEST_UNSET_SMTP_PASS } } }`)).toEqual([
      'notify.smtp.auth.passEnv: environment variable HEATWATCH_TEST_UNSET_SMTP_PASS is not set',
    ]);
  });
});
