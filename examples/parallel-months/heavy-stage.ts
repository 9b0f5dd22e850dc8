/**
 * A stage run as its own process, started by child-processes.ts with
 * carrierEnv(): start() reads TRACEPARENT, BAGGAGE and STAGETRACE_RUN_ID, so
 * this stage is a child of the month that started the process, and counts
 * in that month and run.
 */
import { shutdown, start, traceStage } from '../../src/index.js';

await start();
const rows = Number(process.argv[2] ?? 100_000);
let failed = false;
try {
  traceStage(
    'aggregate',
    () => {
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += i % 97;
      return sum;
    },
    { context: { rows } },
  );
} catch {
  failed = true;
}
await shutdown();
process.exitCode = failed ? 1 : 0;
