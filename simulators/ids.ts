/** hs-001 …, zero-padded to at least 3 digits (4 when there are ≥ 1,000 stations). */
export function stationId(index: number, total: number): string {
  const width = Math.max(3, String(total).length);
  return `hs-${String(index + 1).padStart(width, '0')}`;
}
