/**
 * The alarm message catalogue: what an alarm of a shipped rule says, in zh-CN and en. The
 * control room reads Chinese; engineers may read English. A configured rule's own `message`
 * is used as written in both languages; so is a rule missing here.
 */
import type { CompiledAlarm } from './compiled.ts';

export type MessageLang = 'zh-CN' | 'en';
export const MESSAGE_LANGS: readonly MessageLang[] = ['zh-CN', 'en'];

/** shipped rule id → [zh-CN, en] */
const CATALOGUE: Record<string, readonly [string, string]> = {
  flood: ['站内水浸', 'flooding in the substation'],
  burst: ['二次压力低低且补水泵运行（疑似爆管）', 'secondary pressure low-low with make-up pump running (burst?)'],
  p_sec_ll: ['二次回水压力低低', 'secondary return pressure low-low'],
  p_sec_hh: ['二次供水压力高高（超压）', 'secondary supply pressure high-high (over-pressure)'],
  p_pri_hh: ['一次供水压力高高（超压）', 'primary supply pressure high-high (over-pressure)'],
  pri_dp_low: ['一次供回水压差低于 0.05 MPa', 'primary differential pressure below 0.05 MPa'],
  leak_fall: ['二次压力 10 分钟内下降超过 0.05 MPa（疑似泄漏）', 'secondary pressure fell more than 0.05 MPa in 10 min'],
  leak_makeup: ['补水量超过循环流量的 2%（疑似泄漏）', 'make-up flow above 2 % of circulation'],
  leak_makeup_trend: ['日补水量超过本站 7 日基线 3 倍（疑似渗漏）', "make-up over the last day above 3× the station's 7-day baseline (slow leak?)"],
  power_loss: ['市电失电', 'power loss'],
  power_loss_cold: ['严寒天气市电失电', 'power loss in deep cold'],
  t_sec_hh: ['二次供水温度高高', 'secondary supply temperature high-high'],
  t_pri_hh: ['一次供水温度高高', 'primary supply temperature high-high'],
  t_pri_return_h: ['一次回水温度高', 'primary return temperature high'],
  curve_high: ['二次供水温度高于设定值 5 K 以上', 'secondary supply more than 5 K above its setpoint'],
  curve_low: ['二次供水温度低于设定值 5 K 以上（供暖不热前兆）', 'secondary supply more than 5 K below its setpoint'],
  room_low: ['典型用户室温低于 18 °C', 'sampled room temperature below 18 °C'],
  room_ll: ['典型用户室温低于 16 °C', 'sampled room temperature below 16 °C'],
  sec_dt: ['二次供回水温差异常', 'secondary ΔT out of range'],
  f_sec_low: ['二次循环流量低', 'secondary flow low'],
  no_pump: ['无循环泵运行', 'no circulation pump running'],
  pump1_trip: ['1#循环泵跳闸（有启动命令无运行反馈）', 'pump 1 commanded on but not running'],
  pump2_trip: ['2#循环泵跳闸（有启动命令无运行反馈）', 'pump 2 commanded on but not running'],
  pump1_fault: ['1#循环泵故障', 'pump 1 fault'],
  pump2_fault: ['2#循环泵故障', 'pump 2 fault'],
  valve_stuck: ['一次调节阀卡阻（反馈与给定偏差超过 5%）', 'control valve feedback differs from command by more than 5 %'],
  comm_loss: ['通讯中断 10 分钟', 'communication lost for 10 min'],
  comm_loss_15m: ['通讯中断超过 15 分钟', 'communication lost for 15 min'],
  t_sec_frozen: ['二次供水温度长时间不变（传感器冻结）', 'secondary supply temperature frozen while a pump runs'],
  t_sec_impossible: ['二次供水温度高于一次供水温度（传感器故障）', 'secondary supply hotter than primary supply (sensor fault)'],
  t_sec_stale: ['二次供水温度无有效数据', 'no good secondary supply temperature'],
  t_outdoor_frozen: ['室外温度长时间不变（传感器故障）', 'outdoor temperature unchanged (sensor fault)'],
  t_outdoor_jump: ['室外温度突变（传感器故障）', 'outdoor temperature jumped (sensor fault)'],
  tank_low: ['补水箱液位低', 'make-up tank level low'],
  tank_ll: ['补水箱液位低低（补水泵干转风险）', 'make-up tank level low-low (pump dry-run risk)'],
  meter_decreasing: ['累计热量减少（热表故障）', 'cumulative heat energy decreased'],
  meter_no_power: ['有一次流量但热功率为零（热表故障）', 'heat power zero with primary flow'],
  fouling: ['同负荷下换热器端差高于清洁基线 5 K（疑似结垢）', 'exchanger approach 5 K above its clean baseline at equal load (fouling?)'],
  intrusion: ['非值守时段站门打开', 'station door open outside attended hours'],
};

const ZONE_ZH: Record<string, string> = { z2_: '2区', z3_: '3区', z4_: '4区' };
const ZONE_EN: Record<string, string> = { z2_: 'zone 2', z3_: 'zone 3', z4_: 'zone 4' };

/** The shipped text of a rule id, or undefined for a rule not shipped. */
export function shippedMessage(ruleId: string, lang: MessageLang): string | undefined {
  const m = CATALOGUE[ruleId];
  return m ? m[lang === 'zh-CN' ? 0 : 1] : undefined;
}

/** Whether the rule's message is the shipped one (a configured message is kept as written). */
function shipped(ruleId: string, message: string): readonly [string, string] | null {
  const m = CATALOGUE[ruleId];
  return m && m[1] === message ? m : null;
}

/** The message of a compiled alarm in `lang`, with its zone named. */
export function alarmMessage(c: Pick<CompiledAlarm, 'ruleId' | 'message' | 'zone'>, lang: MessageLang): string {
  const m = shipped(c.ruleId, c.message);
  const text = m ? m[lang === 'zh-CN' ? 0 : 1] : c.message;
  if (!c.zone) return text;
  return lang === 'zh-CN' ? `${ZONE_ZH[c.zone] ?? c.zone}${text}` : `${text} (${ZONE_EN[c.zone] ?? c.zone})`;
}

/** `?lang=` first, then the first Accept-Language that names zh or en; zh-CN by default (DESIGN §5). */
export function pickLang(query: string | undefined, acceptLanguage: string | undefined): MessageLang {
  if (query === 'en' || query === 'zh-CN') return query;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.trim().split(';')[0].toLowerCase();
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return 'zh-CN';
}
