// The /ws live feed: reconnects with backoff and reports its state; samples are coalesced
// (latest per point) and handed over once per animation frame, so thousands of stations
// updating cost one DOM pass per frame at most.
import { withToken } from './api.js';

/**
 * @typedef {{ point: string, ts: number, value: number | boolean | null, quality: string }} Sample
 * @typedef {'connecting' | 'live' | 'lost'} LiveStatus
 * @typedef {{
 *   subscribe?: { stations?: string[], points?: string[] },
 *   onSamples: (samples: Map<string, Sample>) => void,
 *   onEvent?: (msg: any) => void,
 *   onStatus?: (s: LiveStatus) => void,
 * }} LiveOptions
 */

export class LiveFeed {
  /** @param {LiveOptions} opts */
  constructor(opts) {
    this.opts = opts;
    /** @type {WebSocket | null} */
    this.ws = null;
    /** @type {Map<string, Sample>} */
    this.pending = new Map();
    this.frame = 0;
    this.attempt = 0;
    this.closed = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retry = undefined;
    /** @type {LiveStatus} */
    this.status = 'connecting';
    this.messages = 0;
  }

  start() {
    this.closed = false;
    this.connect();
    return this;
  }

  stop() {
    this.closed = true;
    clearTimeout(this.retry);
    if (this.frame) cancelAnimationFrame(this.frame);
    this.ws?.close();
  }

  /** @param {LiveStatus} s */
  setStatus(s) {
    if (this.status === s) return;
    this.status = s;
    this.opts.onStatus?.(s);
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}${withToken('/ws')}`);
    this.ws = ws;
    ws.onopen = () => {
      if (this.opts.subscribe) ws.send(JSON.stringify({ subscribe: this.opts.subscribe }));
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.messages++;
      if (msg.type === 'hello') {
        this.attempt = 0;
        this.setStatus('live');
      } else if (msg.type === 'sample') {
        for (const s of msg.samples) this.pending.set(s.point, s);
        if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
      } else if (msg.type === 'alarm' || msg.type === 'ticket') {
        this.opts.onEvent?.(msg);
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      this.setStatus('lost');
      // 0.5 s, 1 s, 2 s … capped at 15 s, with jitter so a wall of screens does not reconnect in step
      const delay = Math.min(15_000, 500 * 2 ** this.attempt++) * (0.75 + Math.random() * 0.5);
      this.retry = setTimeout(() => this.connect(), delay);
    };
  }

  flush() {
    this.frame = 0;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.opts.onSamples(batch);
  }
}
