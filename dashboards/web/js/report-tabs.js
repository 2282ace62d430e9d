// The tabs of the reports view (#/reports): the service report, the daily station report, the
// monthly network report and the files the schedule wrote. Each tab is a route of its own.
import { h } from './format.js';
import { t } from './i18n.js';

/** tab → its hash */
export const REPORT_TABS = { service: '#/reports', 'station-daily': '#/reports/station-daily', 'network-monthly': '#/reports/network-monthly', files: '#/reports/files' };

/** @param {keyof typeof REPORT_TABS} active */
export function reportTabs(active) {
  return h(
    'div',
    { class: 'report-tabs', role: 'tablist' },
    Object.entries(REPORT_TABS).map(([k, href]) =>
      h('a', { href, role: 'tab', class: `report-tab${k === active ? ' active' : ''}`, 'data-tab': k, 'aria-selected': String(k === active) }, t(`areport.tab.${k}`)),
    ),
  );
}
