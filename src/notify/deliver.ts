/**
 * Notification channels as outbox receivers (src/tickets/outbox.ts `OutboxReceiver`): the
 * ticket service's one dispatcher sends their rows with the same queue per receiver, backoff,
 * caps and dead-lettering as the webhooks'. Each row's body is a {@link NotificationBody}; the
 * wire format comes from channels.ts. Errors name the channel and a URL without its query (the
 * robot key is a credential).
 */
import nodemailer from 'nodemailer';
import type { AttemptResult, OutboxDelivery, OutboxReceiver } from '../tickets/outbox.ts';
import { redactUrl } from '../tickets/dead-letter.ts';
import { classifyRobotReply, classifySmtpError, dingtalkPayload, dingtalkUrl, wecomPayload } from './channels.ts';
import type { Channel, NotifySettings, SmtpSettings } from './config.ts';
import type { NotifyRule } from './escalation.ts';
import type { RecipientReason, RosterLevel } from './roster.ts';

/** The outbox `type` of every notification row (webhook rows carry the ticket event type). */
export const NOTIFY_ROW_TYPE = 'notify';

/** What a notification row holds: enough to send it, and to list it without the ticket. */
export interface NotificationBody {
  id: string;
  change: string;
  ticket: { id: number; priority: string; station: string | null; title: string };
  notify: {
    rule: NotifyRule;
    /** the level notified, and the one the rule asked for */
    level: RosterLevel;
    asked: RosterLevel;
    reason: RecipientReason;
    team: string | null;
    channel: string;
    kind: Channel['kind'];
    recipients: Array<{ name: string; mobile: string | null; email: string | null }>;
    /** email rows: the one address this row goes to */
    to: string | null;
    subject: string;
    text: string;
  };
}

type Retry = NotifySettings['retry'];

/** A WeCom or DingTalk group robot: one POST, judged by HTTP status and the JSON errcode. */
export function robotReceiver(ch: Extract<Channel, { kind: 'wecom' | 'dingtalk' }>, retry: Retry, now: () => number = Date.now): OutboxReceiver {
  const where = `${ch.name}: POST ${redactUrl(ch.url)}`;
  return {
    name: ch.name,
    kind: ch.kind,
    timeoutMs: ch.timeoutMs,
    retry,
    async deliver(d: OutboxDelivery): Promise<AttemptResult> {
      const n = (JSON.parse(d.body) as NotificationBody).notify;
      const mobiles = n.recipients.map((r) => r.mobile).filter((m): m is string => m !== null);
      const payload = ch.kind === 'wecom' ? wecomPayload(n.text, mobiles) : dingtalkPayload(n.text, mobiles);
      // DingTalk checks the signature's timestamp against its clock: sign at sending, not at enqueueing
      const url = ch.kind === 'dingtalk' ? dingtalkUrl(ch.url, ch.secret, now()) : ch.url;
      try {
        const res = await fetch(url, { method: 'POST', signal: d.signal, redirect: 'manual', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
        const text = await res.text().catch(() => '');
        let json: unknown = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          /* not JSON: classified as no errcode */
        }
        const r = classifyRobotReply(ch.kind, res.status, json);
        return { kind: r.verdict, error: `${where}: ${r.detail}` };
      } catch (err) {
        return { kind: 'retry', error: `${where}: ${(err as Error).message}` };
      }
    },
  };
}

/** Email over SMTP (nodemailer): one message per row, to the roster person's address. */
export function emailReceiver(ch: Extract<Channel, { kind: 'email' }>, smtp: SmtpSettings, retry: Retry): OutboxReceiver {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: !smtp.secure && smtp.starttls === 'required',
    ignoreTLS: !smtp.secure && smtp.starttls === 'off',
    ...(smtp.auth ? { auth: { user: smtp.auth.user, pass: smtp.auth.pass } } : {}),
    connectionTimeout: ch.timeoutMs,
    greetingTimeout: ch.timeoutMs,
    socketTimeout: ch.timeoutMs,
  });
  const where = `${ch.name}: SMTP ${smtp.host}:${smtp.port}`;
  return {
    name: ch.name,
    kind: 'email',
    timeoutMs: ch.timeoutMs,
    retry,
    async deliver(d: OutboxDelivery): Promise<AttemptResult> {
      const n = (JSON.parse(d.body) as NotificationBody).notify;
      if (!n.to) return { kind: 'permanent', error: `${where}: the row names no recipient` };
      // nodemailer takes no abort signal: the dispatcher's stop or timeout ends the wait, not the send
      let onAbort = (): void => undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new Error('aborted'));
        if (d.signal.aborted) onAbort();
        else d.signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([transport.sendMail({ from: smtp.from, to: n.to, subject: n.subject, text: n.text, headers: { 'X-Heatwatch-Event-Id': d.eventId } }), aborted]);
        return { kind: 'delivered', error: '' };
      } catch (err) {
        const e = err as Error & { responseCode?: number; code?: string; response?: string };
        return { kind: classifySmtpError(e), error: `${where}: to ${n.to}: ${e.response ?? e.message}` };
      } finally {
        d.signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** One receiver per configured channel (an email channel without SMTP is a config problem, never here). */
export function channelReceivers(s: NotifySettings, now: () => number = Date.now): OutboxReceiver[] {
  return s.channels.flatMap((ch) => {
    if (ch.kind === 'email') return s.smtp ? [emailReceiver(ch, s.smtp, s.retry)] : [];
    return [robotReceiver(ch, s.retry, now)];
  });
}
