// The worker thread's entry: plain JavaScript so it loads under node, tsx and vitest alike;
// it registers tsx in this thread, then runs the TypeScript side (worker-main.ts).
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
