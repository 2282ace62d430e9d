/**
 * Words of the report and export files in zh-CN (the default) and en: the same names the
 * control-room page shows. Customer categories come from the reply texts (src/tickets/replies.ts).
 *
 * @example
 *   label('zh-CN').status('in_progress'); // '处理中'
 *   label('en').faultClass('pump_trip');  // 'pump trip'
 */
import { CATEGORY, type ReplyLang } from '../tickets/replies.ts';
import type { BreachKind, CustomerCategory, TicketSource, TicketStatus } from '../tickets/types.ts';

export type ReportLang = ReplyLang;
export const REPORT_LANGS: readonly ReportLang[] = ['zh-CN', 'en'];

const STATUS: Record<ReportLang, Record<TicketStatus, string>> = {
  'zh-CN': { open: '待派单', dispatched: '已派单', in_progress: '处理中', resolved: '已处理', verified: '已回访', closed: '已关闭', reopened: '已重开' },
  en: { open: 'open', dispatched: 'dispatched', in_progress: 'in progress', resolved: 'resolved', verified: 'verified', closed: 'closed', reopened: 'reopened' },
};

const SOURCE: Record<ReportLang, Record<TicketSource, string>> = {
  'zh-CN': { alarm: '告警', customer: '客户来电', manual: '人工' },
  en: { alarm: 'alarm', customer: 'customer', manual: 'manual' },
};

const BREACH: Record<ReportLang, Record<BreachKind, string>> = {
  'zh-CN': { respond: '响应超时', on_site: '到场超时', resolve: '处理超时' },
  en: { respond: 'respond late', on_site: 'on site late', resolve: 'resolve late' },
};

/** fault classes of the shipped rules; a configured class without a name here shows as its id */
const FAULT_CLASS: Record<ReportLang, Record<string, string>> = {
  'zh-CN': {
    flood: '水浸', leak: '泄漏', over_pressure: '超压', power_loss: '失电', over_temp: '超温', no_heat: '供热不足', pump_trip: '循环泵跳闸',
    valve_stuck: '调节阀卡阻', fouling: '换热器结垢', comm_loss: '通讯中断', sensor: '传感器故障', intrusion: '非值守开门', tank: '补水箱',
    meter: '热量表', incident: '告警风暴', other: '其他',
  },
  en: {
    flood: 'flooding', leak: 'leak', over_pressure: 'over-pressure', power_loss: 'power loss', over_temp: 'over-temperature', no_heat: 'under-supply',
    pump_trip: 'pump trip', valve_stuck: 'valve stuck', fouling: 'exchanger fouling', comm_loss: 'communication loss', sensor: 'sensor fault',
    intrusion: 'intrusion', tank: 'make-up tank', meter: 'heat meter', incident: 'alarm storm', other: 'other',
  },
};

const UNASSIGNED: Record<ReportLang, string> = { 'zh-CN': '未分派', en: 'unassigned' };

export interface Labels {
  lang: ReportLang;
  status(s: TicketStatus): string;
  source(s: TicketSource): string;
  category(c: CustomerCategory): string;
  faultClass(c: string): string;
  breach(k: BreachKind): string;
  /** a team's name, or 未分派 for tickets without one */
  team(team: string | null): string;
  yes(v: boolean): string;
}

export function label(lang: ReportLang): Labels {
  return {
    lang,
    status: (s) => STATUS[lang][s] ?? s,
    source: (s) => SOURCE[lang][s] ?? s,
    category: (c) => CATEGORY[lang][c] ?? c,
    faultClass: (c) => FAULT_CLASS[lang][c] ?? c,
    breach: (k) => BREACH[lang][k],
    team: (team) => team ?? UNASSIGNED[lang],
    yes: (v) => (v ? (lang === 'en' ? 'yes' : '是') : lang === 'en' ? 'no' : '否'),
  };
}
