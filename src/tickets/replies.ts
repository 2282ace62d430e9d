/**
 * Reply templates (DOMAIN §4: every reply names a concrete deadline, never
 * "as soon as possible"), zh-CN and en. Pure; time zone passed in.
 *
 * @example
 *   replyText('en', { id: 7, category: 'no_heat', createdAt, respondBy, resolveBy }, 'Asia/Shanghai')
 *   // "Ticket #7 (heating not warm) is registered. We will respond within 2 hours by 14:30 and resolve it within 24 hours by 2025-01-16 12:30."
 */
import type { CustomerCategory } from './types.ts';

export type ReplyLang = 'zh-CN' | 'en';
export const REPLY_LANGS: readonly ReplyLang[] = ['zh-CN', 'en'];

export interface ReplyInput {
  id: number;
  category: CustomerCategory | null;
  createdAt: number;
  respondBy: number;
  resolveBy: number;
}

/** A customer ticket's category as the caller and the clerk say it. */
export const CATEGORY: Record<ReplyLang, Record<CustomerCategory, string>> = {
  'zh-CN': { no_heat: '供暖不热', repair: '报修', leak: '漏水', complaint: '投诉', consult: '咨询', fee_dispute: '费用争议' },
  en: { no_heat: 'heating not warm', repair: 'repair request', leak: 'leak', complaint: 'complaint', consult: 'enquiry', fee_dispute: 'fee dispute' },
};

/** "2 小时" / "2 hours"; minutes when not whole hours, days from 5 whole days. */
export function formatDuration(ms: number, lang: ReplyLang): string {
  const min = Math.round(ms / 60_000);
  const [n, unit] =
    min % 60 !== 0 ? [min, 'min'] : min >= 5 * 1440 && min % 1440 === 0 ? [min / 1440, 'day'] : [min / 60, 'hour'];
  if (lang === 'zh-CN') return `${n} ${unit === 'min' ? '分钟' : unit === 'hour' ? '小时' : '天'}`;
  const word = unit === 'min' ? 'minute' : unit;
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function parts(ts: number, tz: string): { date: string; time: string } {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const p = Object.fromEntries(f.formatToParts(new Date(ts)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

/** The deadline's clock time, with the date when it is not the day of `from`. */
export function formatDeadline(ts: number, from: number, tz: string, lang: ReplyLang): string {
  const d = parts(ts, tz);
  if (d.date === parts(from, tz).date) return d.time;
  if (lang === 'zh-CN') {
    const [, m, day] = d.date.split('-');
    return `${Number(m)}月${Number(day)}日 ${d.time}`;
  }
  return `${d.date} ${d.time}`;
}

export function replyText(lang: ReplyLang, t: ReplyInput, tz: string): string {
  const respondIn = formatDuration(t.respondBy - t.createdAt, lang);
  const resolveIn = formatDuration(t.resolveBy - t.createdAt, lang);
  const respondAt = formatDeadline(t.respondBy, t.createdAt, tz, lang);
  const resolveAt = formatDeadline(t.resolveBy, t.createdAt, tz, lang);
  const review = t.category === 'fee_dispute';
  if (lang === 'zh-CN') {
    const what = t.category ? `（${CATEGORY['zh-CN'][t.category]}）` : '';
    const head = `您的工单 #${t.id}${what}已受理。`;
    if (review) return `${head}我们将在 ${respondIn}内完成复核（${respondAt} 前）并回复您。`;
    return `${head}我们将在 ${respondIn}内响应（${respondAt} 前），并在 ${resolveIn}内处理完毕（${resolveAt} 前）。`;
  }
  const what = t.category ? ` (${CATEGORY.en[t.category]})` : '';
  const head = `Ticket #${t.id}${what} is registered.`;
  if (review) return `${head} We will complete the review within ${respondIn} by ${respondAt} and reply to you.`;
  return `${head} We will respond within ${respondIn} by ${respondAt} and resolve it within ${resolveIn} by ${resolveAt}.`;
}
