/**
 * 7. `stagetrace report` over generated audit files of 100 MB and 1 GB,
 * against a bare readline + JSON.parse loop over the same files: throughput
 * ratio ≥ 0.5, peak RSS of the report < 150 MB, and time linear in size.
 * Each side in its own plain-node process (the command as built, not
 * through tsx, whose loader alone costs ~30 MB), alternating.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAuditFiles } from './audit-generator.js';
import { type BenchResult, median, runBuiltChild, tempDir } from './lib.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./report-child.mjs', import.meta.url));
/** Inside the repository, so the build is an ES module as dist/esm is; .bench-tmp is ignored by git. */
const buildDir = join(root, '.bench-tmp', 'report-build');
const MB = 1024 * 1024;

/** Compiles src/ as `npm run build` does (ESM), into .bench-tmp; returns the built CLI main. */
function build(): string {
  rmSync(buildDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const run = spawnSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.esm.json'), '--outDir', buildDir, '--declaration', 'false'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`building for the report benchmark failed:\n${run.stdout}${run.stderr}`);
  return join(buildDir, 'cli', 'main.js');
}

function runSide(side: 'ours' | 'bare', built: string, dir: string): Promise<ChildResult> {
  return runBuiltChild<ChildResult>(child, [side, built, dir]);
}

interface ChildResult {
  ms: number;
  maxRssBytes: number;
}

async function sideBySide(
  built: string,
  bytes: number,
  rounds: number,
): Promise<{ ours: ChildResult[]; bare: ChildResult[]; size: number }> {
  const dir = tempDir('report');
  try {
    const { bytes: size } = generateAuditFiles(dir.path, bytes);
    const ours: ChildResult[] = [];
    const bare: ChildResult[] = [];
    for (let i = 0; i < rounds; i++) {
      // Alternate which side reads first: the page cache then favours neither.
      const order = i % 2 === 0 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const);
      for (const side of order) {
        const r = await runSide(side, built, dir.path);
        (side === 'ours' ? ours : bare).push(r);
      }
    }
    return { ours, bare, size };
  } finally {
    dir.remove();
  }
}

export async function reportThroughput(quick: boolean): Promise<BenchResult[]> {
  const small = quick ? 2 * MB : 100 * MB;
  const large = quick ? 10 * MB : 1024 * MB;
  const built = build();
  const a = await sideBySide(built, small, quick ? 1 : 4);
  const b = await sideBySide(built, large, quick ? 1 : 3);
  const rate = (size: number, r: ChildResult[]) => size / MB / (median(r.map((x) => x.ms)) / 1000);
  const ratioLarge = rate(b.size, b.ours) / rate(b.size, b.bare);
  const ratioSmall = rate(a.size, a.ours) / rate(a.size, a.bare);
  const rss = Math.max(...a.ours.map((r) => r.maxRssBytes), ...b.ours.map((r) => r.maxRssBytes)) / MB;
  // Seconds per GB at each size: equal when time is linear in size.
  const perGbSmall = median(a.ours.map((r) => r.ms)) / 1000 / (a.size / 1024 / MB);
  const perGbLarge = median(b.ours.map((r) => r.ms)) / 1000 / (b.size / 1024 / MB);
  const linearity = perGbLarge / perGbSmall;
  return [
    {
      name: 'report throughput',
      measure: `report / readline+JSON.parse, ${(b.size / MB).toFixed(0)} MB`,
      value: ratioLarge,
      unit: '×',
      target: '≥ 0.5',
      pass: ratioLarge >= 0.5,
      details: {
        ours_mb_s: rate(b.size, b.ours),
        bare_mb_s: rate(b.size, b.bare),
        ratio_at_small: ratioSmall,
        small_mb: a.size / MB,
        ours_small_mb_s: rate(a.size, a.ours),
        bare_small_mb_s: rate(a.size, a.bare),
      },
    },
    {
      name: 'report RSS',
      measure: 'peak RSS of stagetrace report, any size',
      value: rss,
      unit: 'MB',
      target: '< 150',
      pass: rss < 150,
      details: {
        bare_rss_mb: Math.max(...b.bare.map((r) => r.maxRssBytes)) / MB,
      },
    },
    {
      name: 'report linearity',
      measure: 's per GB at large / at small size',
      value: linearity,
      unit: '×',
      target: '≤ 1.5',
      pass: linearity <= 1.5,
      details: { s_per_gb_small: perGbSmall, s_per_gb_large: perGbLarge },
    },
  ];
}
