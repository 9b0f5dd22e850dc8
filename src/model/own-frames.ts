import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * stagetrace's own stack frames (traceStage, runInScope...) say nothing
 * about why a pipeline failed; error_details.log and span exceptions leave
 * them out. Our frames are recognised by the folder this package runs from
 * (`src/` in the repository or through a source map, `dist/esm/` or
 * `dist/cjs/` when installed, where the modules are bundled into a few
 * files), found once from this module's own location. That folder must be
 * stagetrace's package: an application bundled with stagetrace inside it
 * (its own dist/esm, say) keeps all its frames.
 */
function packageRoot(): string | undefined {
  const stack = new Error().stack ?? '';
  // The first frame is this function: in .../src/model/own-frames.ts, or in a bundled file of dist/esm or dist/cjs
  // (directly or one folder down: chunks/). The root is matched greedily, so a /dist/ higher up is not taken for ours.
  const match =
    /\(?((?:file:\/\/)?[^\s()]+)[\\/](?:src[\\/]model[\\/]own-frames\.[cm]?[jt]s|dist[\\/](?:esm|cjs)[\\/](?:[^\s()\\/:]+[\\/])?[^\s()\\/:]+\.[cm]?js):\d+:\d+\)?/.exec(
      stack.split('\n').find((line) => line.trimStart().startsWith('at ')) ?? '',
    );
  const root = match?.[1];
  return root !== undefined && isOwnPackage(root) ? root : undefined;
}

/** Whether `root` holds stagetrace's package.json; read once, at load, and trusted for nothing more than its name. */
function isOwnPackage(root: string): boolean {
  try {
    const dir = root.startsWith('file://') ? fileURLToPath(root) : root;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === 'stagetrace';
  } catch {
    return false;
  }
}

const ROOT = packageRoot();
const OWN_DIRS = ROOT === undefined ? [] : ['src', 'dist/esm', 'dist/cjs', 'dist\\esm', 'dist\\cjs'].map((dir) => `${ROOT}/${dir}/`);
const OWN_DIRS_WIN = ROOT === undefined ? [] : ['src', 'dist\\esm', 'dist\\cjs'].map((dir) => `${ROOT}\\${dir}\\`);

/** `stack` without the `at …` lines that point into stagetrace itself. Other lines are kept as they are. */
export function withoutOwnFrames(stack: string | undefined): string | undefined {
  if (stack === undefined || ROOT === undefined || !stack.includes(ROOT)) return stack;
  const kept: string[] = [];
  for (const line of stack.split('\n')) {
    const trimmed = line.trimStart();
    if (trimmed.startsWith('at ') && (OWN_DIRS.some((dir) => line.includes(dir)) || OWN_DIRS_WIN.some((dir) => line.includes(dir))))
      continue;
    kept.push(line);
  }
  return kept.join('\n');
}
