import { describe, expect, it } from 'vitest';
import { classifyRobotReply, classifySmtpError, dingtalkPayload, dingtalkSign, dingtalkUrl, truncateUtf8, wecomPayload } from '../../src/notify/channels.ts';

describe('DingTalk signing', () => {
  // expected values computed outside this code: Python's hmac + base64 + urllib.parse.quote_plus
  it('HMAC-SHA256(secret, "<ms>\\n<secret>"), base64, URL-encoded', () => {
    expect(dingtalkSign('this is secret', 1_700_000_000_000)).toBe('sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0%3D');
    expect(dingtalkSign('SEC1234567890abcdef', 1_577_262_236_757)).toBe('f7qQ1A8KagEZ45y1gasTtKsEq5ERTeDXP9T%2BWkIqzDk%3D');
  });

  it('appends timestamp and sign to the robot URL; no secret, no change', () => {
    const url = 'https://oapi.dingtalk.com/robot/send?access_token=abc';
    expect(dingtalkUrl(url, 'this is secret', 1_700_000_000_000)).toBe(`${url}&timestamp=1700000000000&sign=sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0%3D`);
    expect(dingtalkUrl(url, null, 1)).toBe(url);
  });
});

describe('robot payloads', () => {
  it('WeCom: text with the mobiles mentioned', () => {
    expect(wecomPayload('工单 #1', ['13800138000'])).toEqual({ msgtype: 'text', text: { content: '工单 #1', mentioned_mobile_list: ['13800138000'] } });
    expect(wecomPayload('工单 #1', [])).toEqual({ msgtype: 'text', text: { content: '工单 #1' } });
  });

  it('DingTalk: atMobiles, and @mobile in the content (else no mention shows)', () => {
    expect(dingtalkPayload('工单 #1', ['13800138000', '13900139000'])).toEqual({
      msgtype: 'text',
      text: { content: '工单 #1\n@13800138000 @13900139000' },
      at: { atMobiles: ['13800138000', '13900139000'], isAtAll: false },
    });
  });

  it('WeCom content stays within 2048 bytes, cut on a character', () => {
    const long = '热'.repeat(1000); // 3000 bytes
    const content = (wecomPayload(long, []).text as { content: string }).content;
    expect(Buffer.byteLength(content, 'utf8')).toBeLessThanOrEqual(2048);
    expect(content.endsWith('…')).toBe(true);
    expect(truncateUtf8('短', 2048)).toBe('短');
  });
});

describe('classifying answers', () => {
  it.each([
    ['wecom', 200, { errcode: 0, errmsg: 'ok' }, 'delivered'],
    ['wecom', 200, { errcode: 45009, errmsg: 'api freq out of limit' }, 'retry'],
    ['wecom', 200, { errcode: -1, errmsg: 'system busy' }, 'retry'],
    ['wecom', 200, { errcode: 93000, errmsg: 'invalid webhook url' }, 'permanent'],
    ['wecom', 200, { errcode: 40008, errmsg: 'invalid message type' }, 'permanent'],
    ['dingtalk', 200, { errcode: 0, errmsg: 'ok' }, 'delivered'],
    ['dingtalk', 200, { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' }, 'retry'],
    ['dingtalk', 200, { errcode: 310000, errmsg: 'sign not match' }, 'permanent'],
    ['dingtalk', 200, { errcode: 300001, errmsg: 'token is not exist' }, 'permanent'],
    ['wecom', 200, 'not json', 'retry'],
    ['wecom', 503, null, 'retry'],
    ['dingtalk', 429, null, 'retry'],
    ['wecom', 404, null, 'permanent'],
  ] as const)('%s HTTP %i %j → %s', (kind, status, body, want) => expect(classifyRobotReply(kind, status, body).verdict).toBe(want));

  it('names the code in the error', () => {
    expect(classifyRobotReply('wecom', 200, { errcode: 93000, errmsg: 'invalid webhook url' }).detail).toBe('errcode 93000 invalid webhook url');
  });

  it.each([
    [{ responseCode: 550, code: 'EENVELOPE' }, 'permanent'],
    [{ responseCode: 535, code: 'EAUTH' }, 'permanent'],
    [{ responseCode: 451, code: 'EENVELOPE' }, 'retry'],
    [{ responseCode: 421, code: 'EPROTOCOL' }, 'retry'],
    [{ code: 'ECONNECTION' }, 'retry'],
    [{ code: 'ETIMEDOUT' }, 'retry'],
  ] as const)('SMTP %j → %s', (err, want) => expect(classifySmtpError(err)).toBe(want));
});
