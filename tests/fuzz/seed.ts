/** The one fast-check seed of every fuzz suite: a failure found in CI reproduces here with the same inputs. */
export const SEED = 15;
