/**
 * stagetrace's own stack frames (traceStage, runInScope...) say nothing
 * about why a pipeline failed; error_details.log and span exceptions leave
 * them out. Our frames are recognised by the folder this package runs from
 * (`src/` in the repository, `dist/esm/` or `dist/cjs/` when installed),
 * found once from this module's own location.
 */
function packageRoot(): string | undefined {
  const stack = new Error().stack ?? '';
  // The first frame is this function, in .../model/own-frames.(ts|js).
  const match = /\(?((?:file:\/\/)?[^\s()]+?)[\\/](?:src|dist[\\/](?:esm|cjs))[\\/]model[\\/]own-frames\.[cm]?[jt]s:\d+:\d+\)?/.exec(stack);
  return match?.[1];
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
