// Alarm sounds generated with WebAudio (no audio files): a distinct pattern per priority.
// Muting is remembered in localStorage. Browsers allow audio only after a user gesture, so the
// context is created/resumed on the first click or key press.

const MUTE_KEY = 'heatwatch.muted';

/** priority → tones: [frequency Hz, start s, duration s] */
const PATTERNS = {
  1: [[988, 0, 0.18], [784, 0.22, 0.18], [988, 0.44, 0.18], [784, 0.66, 0.18], [988, 0.88, 0.18], [784, 1.1, 0.18]], // emergency: fast two-tone
  2: [[880, 0, 0.25], [880, 0.4, 0.25], [880, 0.8, 0.25]], // high: three beeps
  3: [[660, 0, 0.35], [660, 0.6, 0.35]], // medium: two beeps
  4: [[523, 0, 0.3]], // low: one soft beep
};
const WAVE = { 1: 'square', 2: 'sawtooth', 3: 'triangle', 4: 'sine' };

export class AlarmSound {
  constructor() {
    /** @type {AudioContext | null} */
    this.ctx = null;
    this.muted = localStorage.getItem(MUTE_KEY) === '1';
    /** last priority played, for tests and diagnostics */
    this.lastPlayed = /** @type {number | null} */ (null);
    this.played = 0;
    const unlock = () => {
      this.ensure();
      if (this.ctx?.state === 'running') {
        window.removeEventListener('pointerdown', unlock);
        window.removeEventListener('keydown', unlock);
      }
    };
    window.addEventListener('pointerdown', unlock);
    window.addEventListener('keydown', unlock);
  }

  ensure() {
    try {
      if (!this.ctx) this.ctx = new AudioContext();
      if (this.ctx.state === 'suspended') void this.ctx.resume();
    } catch {
      this.ctx = null;
    }
    return this.ctx;
  }

  /** true when sound would be heard (not muted, context running) */
  get ready() {
    return !this.muted && this.ctx?.state === 'running';
  }

  setMuted(/** @type {boolean} */ m) {
    this.muted = m;
    localStorage.setItem(MUTE_KEY, m ? '1' : '0');
  }

  /** Plays the pattern of a priority (1 emergency … 4 low) unless muted. */
  play(/** @type {number} */ priority) {
    this.lastPlayed = priority;
    this.played++;
    if (this.muted) return;
    const ctx = this.ensure();
    if (!ctx || ctx.state !== 'running') return;
    const p = /** @type {1|2|3|4} */ (Math.min(4, Math.max(1, priority)));
    const t0 = ctx.currentTime + 0.02;
    for (const [f, start, dur] of PATTERNS[p]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = /** @type {OscillatorType} */ (WAVE[p]);
      osc.frequency.value = f;
      // short attack and release: no clicks
      gain.gain.setValueAtTime(0, t0 + start);
      gain.gain.linearRampToValueAtTime(p === 4 ? 0.08 : 0.15, t0 + start + 0.02);
      gain.gain.setValueAtTime(p === 4 ? 0.08 : 0.15, t0 + start + dur - 0.03);
      gain.gain.linearRampToValueAtTime(0, t0 + start + dur);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + start);
      osc.stop(t0 + start + dur + 0.01);
    }
  }
}
