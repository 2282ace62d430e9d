import type { Priority } from './types.ts';

/**
 * OPC UA Part 9 severity (1–1000) ↔ alarm priority (DOMAIN §3, §4):
 * 801–1000 → 1 emergency, 601–800 → 2 urgent, 201–600 → 3 normal, 1–200 → 4 review.
 *
 * @example
 * ```ts
 * severityToPriority(850); // 1
 * priorityToSeverity(2);   // 700
 * ```
 */
export function severityToPriority(severity: number): Priority {
  if (severity > 800) return 1;
  if (severity > 600) return 2;
  if (severity > 200) return 3;
  return 4;
}

const SEVERITY: Record<Priority, number> = { 1: 900, 2: 700, 3: 400, 4: 100 };

/** The representative severity of a priority band (the band's middle). */
export function priorityToSeverity(priority: Priority): number {
  return SEVERITY[priority];
}
