/**
 * The package manifest across both OpenTelemetry JS lines: every
 * OpenTelemetry package is a peer (so npm never nests a second copy under
 * stagetrace), its range takes the 2.x set the repository develops with and
 * the 3.x set CI runs the suite with (.ci/otel-3), each set is the one its
 * sdk-node pins (one copy in the tree), and the README's install lines are
 * the ones the error messages give.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SDK_LINES } from '../../../src/setup/sdk-line.js';
import { REPO_ROOT } from '../../helpers/run-node.js';

interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, unknown>;
  devDependencies: Record<string, string>;
  [key: string]: unknown;
}

interface LockEntry {
  version: string;
  dependencies?: Record<string, string>;
}

const read = <T>(file: string): T => JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as T;

// In the 3.x copy CI makes, the root files are .ci/otel-3's: compare the two
// committed manifests by what they say, whichever is at the root.
const rootManifest = read<Manifest>('package.json');
const otel3Manifest = read<Manifest>('.ci/otel-3/package.json');
const rootIs2x = rootManifest.devDependencies['@opentelemetry/api']?.startsWith('1.9.') === true;
const lines = [
  { major: 2 as const, manifest: rootIs2x ? rootManifest : undefined },
  { major: 3 as const, manifest: otel3Manifest },
];

const isOtel = (name: string) => name.startsWith('@opentelemetry/');
const otelDev = (m: Manifest) => Object.fromEntries(Object.entries(m.devDependencies).filter(([name]) => isOtel(name)));

/** A version's numbers. */
function parse(version: string): [number, number, number] {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) throw new Error(`not a plain version: ${version}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function compare(a: string, b: string): number {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return 0;
}

/** Whether `version` satisfies `range`, for the forms package.json uses here: `^a.b.c`, `>=a.b.c <d.e.f`, exact, joined by `||`. */
function satisfies(version: string, range: string): boolean {
  return range.split('||').some((set) =>
    set
      .trim()
      .split(/\s+/)
      .every((comparator) => {
        if (comparator.startsWith('^')) {
          const base = comparator.slice(1);
          const [major, minor] = parse(base);
          const upper = major > 0 ? `${major + 1}.0.0` : `0.${minor + 1}.0`;
          return compare(version, base) >= 0 && compare(version, upper) < 0;
        }
        if (comparator.startsWith('>=')) return compare(version, comparator.slice(2)) >= 0;
        if (comparator.startsWith('<')) return compare(version, comparator.slice(1)) < 0;
        return compare(version, comparator) === 0;
      }),
  );
}

describe('satisfies (the range check these tests use)', () => {
  it('reads caret, bounded and alternative ranges as npm does', () => {
    expect(satisfies('2.12.1', '^2.12.0 || ^3.0.0')).toBe(true);
    expect(satisfies('3.1.0', '^2.12.0 || ^3.0.0')).toBe(true);
    expect(satisfies('2.11.0', '^2.12.0 || ^3.0.0')).toBe(false);
    expect(satisfies('0.223.5', '^0.223.0 || >=0.300.0 <0.400.0')).toBe(true);
    expect(satisfies('0.224.0', '^0.223.0 || >=0.300.0 <0.400.0')).toBe(false);
    expect(satisfies('0.400.0', '^0.223.0 || >=0.300.0 <0.400.0')).toBe(false);
    expect(satisfies('1.10.0', '>=1.9.0 <1.11.0')).toBe(true);
    expect(satisfies('1.11.0', '>=1.9.0 <1.11.0')).toBe(false);
  });
});

describe('package.json', () => {
  it('brings no OpenTelemetry package of its own: all are peers, none optional', () => {
    expect(Object.keys(rootManifest.dependencies ?? {}).filter(isOtel)).toEqual([]);
    expect(rootManifest.peerDependenciesMeta).toBeUndefined();
    expect(Object.keys(rootManifest.peerDependencies).every(isOtel)).toBe(true);
    expect(rootManifest.peerDependencies['@opentelemetry/api']).toBe('>=1.9.0 <1.11.0');
  });

  it('.ci/otel-3/package.json is the same manifest with the 3.x set of the same packages', () => {
    const strip = (m: Manifest) => ({ ...m, devDependencies: Object.keys(m.devDependencies) });
    expect(strip(otel3Manifest)).toEqual(strip(rootManifest));
    const nonOtel = (m: Manifest) => Object.entries(m.devDependencies).filter(([name]) => !isOtel(name));
    expect(nonOtel(otel3Manifest)).toEqual(nonOtel(rootManifest));
  });

  it('develops and tests with every peer, on each line', () => {
    for (const manifest of [rootManifest, otel3Manifest]) {
      expect(Object.keys(otelDev(manifest)).sort()).toEqual(Object.keys(rootManifest.peerDependencies).sort());
    }
  });

  for (const { major, manifest } of lines) {
    if (manifest === undefined) continue;
    it(`takes the ${major}.x set in every peer range`, () => {
      for (const [name, version] of Object.entries(otelDev(manifest))) {
        expect(satisfies(version, rootManifest.peerDependencies[name] as string), `${name}@${version}`).toBe(true);
      }
    });

    it(`gives the ${major}.x install line the error messages give, with the versions it tests`, () => {
      const dev = otelDev(manifest);
      expect(SDK_LINES[major].install).toBe(
        `@opentelemetry/api@${dev['@opentelemetry/api']} @opentelemetry/sdk-node@${dev['@opentelemetry/sdk-node']}`,
      );
      const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
      expect(readme).toContain(`npm install --save-exact --prefer-dedupe stagetrace ${SDK_LINES[major].install}`);
    });
  }
});

describe('the lockfiles', () => {
  const lockfiles = [
    { major: 2, file: rootIs2x ? 'package-lock.json' : undefined },
    { major: 3, file: '.ci/otel-3/package-lock.json' },
  ];
  for (const { major, file } of lockfiles) {
    if (file === undefined) continue;
    const lock = read<{ packages: Record<string, LockEntry> }>(file);
    const dev = (name: string) => lock.packages[`node_modules/${name}`];

    it(`${file}: pins what sdk-node ${major === 2 ? '0.223' : '0.301'} pins, so the tree holds one copy of each`, () => {
      const sdkNode = dev('@opentelemetry/sdk-node');
      expect(sdkNode?.version.startsWith(major === 2 ? '0.223.' : '0.301.')).toBe(true);
      for (const [name, pinned] of Object.entries(sdkNode?.dependencies ?? {})) {
        if (!isOtel(name) || !(name in rootManifest.peerDependencies)) continue;
        expect(dev(name)?.version, name).toBe(pinned);
      }
    });

    it(`${file}: nests no OpenTelemetry package, except the instrumentation base the contrib packages pin`, () => {
      const nested = Object.keys(lock.packages).filter((path) => /node_modules\/.+\/node_modules\/@opentelemetry\//.test(path));
      const allowed =
        /^node_modules\/@opentelemetry\/instrumentation-(host-metrics|runtime-node)\/node_modules\/@opentelemetry\/instrumentation$/;
      expect(nested.filter((path) => !allowed.test(path))).toEqual([]);
    });
  }
});
