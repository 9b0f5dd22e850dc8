// The measured columns of docs/RELIABILITY.md's fault matrix.
//
//   npm run reliability              runs test/integration/reliability with every fault 5 times, prints the table
//   npm run reliability -- 9         … 9 times
//   node scripts/reliability-measure.mjs --report <file>
//                                    prints the table of a run made with STAGETRACE_RELIABILITY_REPORT=<file>
//                                    (CI does this after `npm test`)
//
// Running the matrix needs root, as the matrix does (read-only mounts, immutable folders).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

function printTable(report, heading) {
  const rows = existsSync(report)
    ? readFileSync(report, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line))
    : [];
  rows.sort((a, b) => a.row.localeCompare(b.row));
  const runs = rows[0]?.repeat ?? 1;
  console.log(`\n${heading}; ${runs} run${runs === 1 ? '' : 's'} per fault (medians, and the worst of the fault's own delay):`);
  console.log(
    '| fault | end to end (ms) | of which start() (ms) | after start() or the signal (ms), median / worst | lost | duplicated | secrets leaked |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.row} | ${r.endToEndMs} | ${r.startMs} | ${r.addedMs} / ${r.maxAddedMs} | ${r.lost} | ${r.duplicated} | ${r.leaked} |`,
    );
  }
  if (rows.length === 0) console.log('(no rows: the matrix did not run)');
}

const machine = () => `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node.js ${process.version}`;

if (process.argv[2] === '--report') {
  const report = process.argv[3];
  if (!report) {
    console.error('usage: node scripts/reliability-measure.mjs --report <file written through STAGETRACE_RELIABILITY_REPORT>');
    process.exit(2);
  }
  printTable(report, `Fault matrix (${machine()})`);
  process.exit(0);
}

const repeat = Number(process.argv[2] ?? 5);
if (!Number.isInteger(repeat) || repeat < 1) {
  console.error(`usage: npm run reliability -- [runs per fault, a whole number from 1; default 5]; got ${process.argv[2]}`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'stagetrace-reliability-'));
const report = join(dir, 'report.jsonl');
const load = loadavg()[0].toFixed(1);
const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/integration/reliability'], {
  stdio: 'inherit',
  env: { ...process.env, STAGETRACE_RELIABILITY_REPEAT: String(repeat), STAGETRACE_RELIABILITY_REPORT: report },
});
printTable(report, `${machine()}, load average ${load} at the start`);
rmSync(dir, { recursive: true, force: true });
process.exit(run.status ?? 1);
