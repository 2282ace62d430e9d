// Alarm raises and ticket events of stations over a trend's range (GET /api/analytics/markers),
// for chart.js to draw over the plot. A station's markers failing to load leave its trend without
// them rather than without its values.
import { api } from './api.js';
import { getLang, t } from './i18n.js';
import { state } from './store.js';

/**
 * @param {string[]} stations station ids (their names prefix the labels when there are several)
 * @param {string} from as /api/series takes it (`now-24h`, ISO 8601, ms)
 * @returns {Promise<import('./chart.js').Marker[]>}
 */
export async function loadMarkers(stations, from) {
  const lists = await Promise.all(
    stations.map((id) =>
      api(`/api/analytics/markers?station=${encodeURIComponent(id)}&from=${encodeURIComponent(from)}&lang=${getLang()}`)
        .then((body) =>
          body.markers.map((/** @type {any} */ m) => ({ ...m, label: `${stations.length > 1 ? `${state.byId.get(id)?.name ?? id} ` : ''}${t(`markers.${m.kind}`)} ${m.label}` })),
        )
        .catch(() => []),
    ),
  );
  return lists.flat();
}
