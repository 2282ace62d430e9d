/**
 * The channels' wire formats, pure (docs/notifications.md has the formats and codes):
 * - WeCom group robot (企业微信群机器人): POST `{ msgtype: text, text: { content, mentioned_mobile_list } }`,
 *   content at most 2048 bytes; answers HTTP 200 with `{ errcode, errmsg }`, 0 is delivered.
 * - DingTalk robot (钉钉自定义机器人): POST `{ msgtype: text, text: { content }, at: { atMobiles } }`; a
 *   mention shows only when the content names `@mobile`; with a signing secret the URL gets
 *   `&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256(secret, "<ms>\n<secret>")>`.
 * - Email: a failed SMTP reply code 4xx is temporary, 5xx permanent.
 *
 * @example
 *   classifyRobotReply('wecom', 200, { errcode: 45009, errmsg: 'api freq out of limit' }) // 'retry'
 *   dingtalkSign('SECxxxx', 1700000000000) // 'aBc…%3D' (already URL-encoded)
 */
import { createHmac } from 'node:crypto';
import { classifyStatus } from '../tickets/outbox.ts';

export type RobotKind = 'wecom' | 'dingtalk';
export type Verdict = 'delivered' | 'retry' | 'permanent';

/** WeCom's limit on a text message's content. */
export const WECOM_TEXT_MAX_BYTES = 2048;
/** DingTalk takes more; a page-long message is past helping anyone on a phone. */
export const DINGTALK_TEXT_MAX_BYTES = 4000;

/** Retryable robot error codes: system busy and the rate limits (20 messages a minute per robot). */
const RETRY_CODES: Record<RobotKind, ReadonlySet<number>> = {
  // -1 system busy, 45009 api freq out of limit, 45033 api concurrent out of limit
  wecom: new Set([-1, 45009, 45033]),
  // -1 system busy, 130101 send too fast (20 a minute), 90030 webhook over limit (quota)
  dingtalk: new Set([-1, 130101, 90030]),
};

/** Cuts text to at most `max` UTF-8 bytes, on a character boundary, marking the cut. */
export function truncateUtf8(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) return text;
  const mark = '…';
  let out = '';
  let bytes = Buffer.byteLength(mark, 'utf8');
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out + mark;
}

export function wecomPayload(text: string, mobiles: readonly string[]): Record<string, unknown> {
  return { msgtype: 'text', text: { content: truncateUtf8(text, WECOM_TEXT_MAX_BYTES), ...(mobiles.length ? { mentioned_mobile_list: [...mobiles] } : {}) } };
}

export function dingtalkPayload(text: string, mobiles: readonly string[]): Record<string, unknown> {
  const mention = mobiles.length ? `\n${mobiles.map((m) => `@${m}`).join(' ')}` : '';
  const room = DINGTALK_TEXT_MAX_BYTES - Buffer.byteLength(mention, 'utf8');
  return { msgtype: 'text', text: { content: truncateUtf8(text, room) + mention }, at: { atMobiles: [...mobiles], isAtAll: false } };
}

/** DingTalk's signature for `timestamp` (ms), URL-encoded as the URL carries it. */
export function dingtalkSign(secret: string, timestamp: number): string {
  return encodeURIComponent(createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64'));
}

/** The robot URL with DingTalk's `timestamp` and `sign` appended (unchanged without a secret). */
export function dingtalkUrl(url: string, secret: string | null, timestamp: number): string {
  if (secret === null) return url;
  return `${url}${url.includes('?') ? '&' : '?'}timestamp=${timestamp}&sign=${dingtalkSign(secret, timestamp)}`;
}

/**
 * A robot's answer: HTTP as for webhooks (5xx and 429 retry, other 4xx permanent), then the
 * JSON's `errcode` — 0 delivered, the rate limits and "busy" retried, any other code permanent
 * (a bad key, a keyword or signature the robot refuses: retrying cannot fix those). A 2xx
 * without a readable errcode is a retry: the robot said nothing we can trust.
 */
export function classifyRobotReply(kind: RobotKind, status: number, body: unknown): { verdict: Verdict; detail: string } {
  const http = classifyStatus(status);
  if (http !== 'delivered') return { verdict: http, detail: `HTTP ${status}` };
  const code = typeof body === 'object' && body !== null ? (body as { errcode?: unknown }).errcode : undefined;
  const msg = typeof body === 'object' && body !== null ? String((body as { errmsg?: unknown }).errmsg ?? '') : '';
  if (typeof code !== 'number') return { verdict: 'retry', detail: `HTTP ${status} without an errcode` };
  if (code === 0) return { verdict: 'delivered', detail: 'ok' };
  return { verdict: RETRY_CODES[kind].has(code) ? 'retry' : 'permanent', detail: `errcode ${code}${msg ? ` ${msg}` : ''}` };
}

/**
 * A failed SMTP send: a reply code 4xx is temporary (greylisting, mailbox busy), 5xx permanent
 * (no such user, refused, authentication failed); no reply code (connection refused, timeout,
 * TLS) is retried.
 */
export function classifySmtpError(err: { responseCode?: number; code?: string }): Verdict {
  const c = err.responseCode;
  if (typeof c === 'number' && c >= 500 && c < 600) return 'permanent';
  if (err.code === 'EAUTH' && c === undefined) return 'permanent';
  return 'retry';
}
