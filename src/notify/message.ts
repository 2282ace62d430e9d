/**
 * Notification texts, pure, in zh-CN (the utility's language): the ticket number, station,
 * priority, title, and the deadline in question in the site time zone, phrased as the replies
 * phrase deadlines (src/tickets/replies.ts: the clock time, with the date when not today).
 *
 * @example
 *   buildMessage({ rule: 'breach_respond', level: 2, asked: 2, ticket, stationName: '南岗1号站', teamName: '南岗维修班', people: ['张三'], now, timeZone: 'Asia/Shanghai' })
 *   // { subject: '【超时升级】工单 #12 超过响应期限 · 南岗1号站', text: '【超时升级】工单 #12 超过响应期限 …\n站点：南岗1号站（南岗区）\n…' }
 */
import { CATEGORY, formatDeadline, formatDuration } from '../tickets/replies.ts';
import type { Ticket, TicketPriority } from '../tickets/types.ts';
import type { NotifyRule } from './escalation.ts';
import type { RosterLevel } from './roster.ts';

export const LEVEL_NAMES: Record<string, string> = { '1': '一级（值班人员）', '2': '二级（值班长）', '3': '三级（主管）', qa: '质检负责人' };
const PRIORITY_NAMES: Record<TicketPriority, string> = { P1: 'P1 紧急（绿色通道）', P2: 'P2 加急', P3: 'P3 普通', P4: 'P4 复核' };

const HEADLINES: Record<NotifyRule, (id: number) => string> = {
  p1_open: (id) => `【P1 紧急】新工单 #${id}`,
  p1_raised: (id) => `【P1 紧急】工单 #${id} 升为 P1`,
  p1_reopened: (id) => `【P1 紧急】工单 #${id} 重新打开`,
  breach_respond: (id) => `【超时升级】工单 #${id} 超过响应期限`,
  breach_on_site: (id) => `【超时升级】工单 #${id} 超过到场期限`,
  breach_resolve: (id) => `【超时升级】工单 #${id} 超过处理期限`,
  callback_unhappy: (id) => `【回访不满意】工单 #${id} 已重新打开`,
};

export interface MessageInput {
  rule: NotifyRule;
  /** the level notified, and the level the rule asked for (higher when nobody was on call there) */
  level: RosterLevel;
  asked: RosterLevel;
  ticket: Pick<Ticket, 'id' | 'priority' | 'title' | 'station' | 'area' | 'stations' | 'kind' | 'category' | 'customer' | 'respondBy' | 'onSiteBy' | 'resolveBy' | 'breaches'>;
  stationName: string | null;
  teamName: string | null;
  /** names of the people notified (empty: nobody on call) */
  people: readonly string[];
  now: number;
  timeZone: string;
}

export interface Message {
  subject: string;
  text: string;
}

export function buildMessage(m: MessageInput): Message {
  const t = m.ticket;
  const at = (ts: number) => formatDeadline(ts, m.now, m.timeZone, 'zh-CN');
  const headline = HEADLINES[m.rule](t.id);
  const where = t.kind === 'incident' ? `${t.area ?? ''} 告警风暴（${t.stations.length} 个站）` : m.stationName ? `${m.stationName}${t.area ? `（${t.area}）` : ''}` : (t.area ?? '—');
  const lines = [headline, `站点：${where}`, `优先级：${PRIORITY_NAMES[t.priority]}`, `标题：${t.title}`];
  const missed = (label: string, deadline: number | null | undefined, marked: number | undefined) => {
    if (deadline === null || deadline === undefined) return;
    const late = (marked ?? m.now) - deadline;
    lines.push(`已超过${label}：${at(deadline)}${late >= 60_000 ? `（超时 ${formatDuration(Math.floor(late / 60_000) * 60_000, 'zh-CN')}）` : ''}`);
  };
  switch (m.rule) {
    case 'breach_respond':
      missed('响应期限', t.respondBy, t.breaches.respond);
      break;
    case 'breach_on_site':
      missed('到场期限', t.onSiteBy, t.breaches.on_site);
      break;
    case 'breach_resolve':
      missed('处理期限', t.resolveBy, t.breaches.resolve);
      break;
    case 'callback_unhappy':
      lines.push(`回访：客户不满意，请质检复核${t.customer ? `（${t.category ? CATEGORY['zh-CN'][t.category] : '客户工单'}，${t.customer.address}）` : ''}`);
      lines.push(`处理期限：${at(t.resolveBy)} 前`);
      break;
    default:
      lines.push(`响应期限：${at(t.respondBy)} 前${t.onSiteBy !== null ? `；到场期限：${at(t.onSiteBy)} 前` : ''}`);
  }
  const who = m.people.length ? m.people.join('、') : '无人值班';
  const jumped = m.level !== m.asked ? `（${LEVEL_NAMES[String(m.asked)]}无人值班，已通知上一级）` : '';
  lines.push(`通知：${m.teamName ? `${m.teamName} ` : ''}${LEVEL_NAMES[String(m.level)]} ${who}${jumped}`);
  return { subject: `${headline} · ${m.stationName ?? t.area ?? t.title}`, text: lines.join('\n') };
}
