/**
 * Where the stack's binaries are: otelcol and Jaeger as
 * scripts/install-stack-tools.sh builds and caches them (same directory
 * names, computed the same way), Prometheus, promtool and docker-compose on
 * PATH. A missing tool is an error that says how to install it.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { REPO_ROOT } from '../../helpers/run-node.js';

export const INSTALL_HINT =
  'Run `bash scripts/install-stack-tools.sh` (about 12 minutes from cold; needs Go, and root or sudo for apt-get).';

/** deploy/stack-versions.env as a map. */
export function stackVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of readFileSync(join(REPO_ROOT, 'deploy', 'stack-versions.env'), 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(\S+)\s*$/.exec(line);
    if (match) versions[match[1] as string] = match[2] as string;
  }
  return versions;
}

/** First 12 hex digits of the SHA-256 of the files concatenated, as `cat files | sha256sum` in the install script. */
function inputsHash(...files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(readFileSync(join(REPO_ROOT, file)));
  return hash.digest('hex').slice(0, 12);
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export interface StackTools {
  otelcol: string;
  jaeger: string;
  victoriaLogs: string;
  prometheus: string;
  promtool: string;
  dockerCompose: string;
}

/** Finds every tool, or throws one error naming each missing tool and how to install it. */
export function findStackTools(): StackTools {
  const v = stackVersions();
  const toolsDir = process.env.STAGETRACE_TOOLS_DIR || join(homedir(), '.cache', 'stagetrace-tools');
  const otelcol = join(toolsDir, `otelcol-${v.OTELCOL_VERSION}-${inputsHash('deploy/otelcol/builder-manifest.yaml')}`, 'otelcol');
  const jaeger = join(
    toolsDir,
    `jaeger-${v.JAEGER_VERSION}-${inputsHash('deploy/jaeger/build/go.mod', 'deploy/jaeger/build/go.sum')}`,
    'jaeger',
  );
  const victoriaLogs = join(
    toolsDir,
    `victorialogs-${v.VICTORIALOGS_VERSION}-${inputsHash('deploy/victorialogs/build/go.mod', 'deploy/victorialogs/build/go.sum')}`,
    'victoria-logs',
  );
  const missing: string[] = [];
  if (!executable(otelcol)) missing.push(`otelcol ${v.OTELCOL_VERSION} (expected at ${otelcol})`);
  if (!executable(jaeger)) missing.push(`jaeger ${v.JAEGER_VERSION} (expected at ${jaeger})`);
  if (!executable(victoriaLogs)) missing.push(`victoria-logs ${v.VICTORIALOGS_VERSION} (expected at ${victoriaLogs})`);
  const found: Record<string, string | undefined> = {};
  for (const name of ['prometheus', 'promtool', 'docker-compose']) {
    found[name] = onPath(name);
    if (found[name] === undefined) missing.push(`${name} (not on PATH)`);
  }
  if (missing.length > 0) {
    throw new Error(`The end-to-end tests need the real stack, and these are missing: ${missing.join('; ')}. ${INSTALL_HINT}`);
  }
  return {
    otelcol,
    jaeger,
    victoriaLogs,
    prometheus: found.prometheus as string,
    promtool: found.promtool as string,
    dockerCompose: found['docker-compose'] as string,
  };
}
