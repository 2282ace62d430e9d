/** Which data answers a query: the one rule for both stores and the API (../query-plan.ts). */
export { sourceFor } from '../query-plan.ts';
