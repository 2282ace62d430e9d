import type { Sample } from '../../src/model.ts';
import { pointEncodings } from '../../src/store/codec/from-config.ts';
import { atResolution, resolutionOf } from '../../src/store/codec/spec.ts';

/**
 * The value a store keeps of a sample of these stations' points: a float point's at its
 * resolution (src/store/codec/spec.ts), anything else as received.
 */
export function storedValue(stations: Parameters<typeof pointEncodings>[0]): (s: Pick<Sample, 'point' | 'value'>) => Sample['value'] {
  const encodings = pointEncodings(stations);
  return (s) => (typeof s.value === 'number' ? atResolution(s.value, resolutionOf(encodings, s.point)) : s.value);
}
