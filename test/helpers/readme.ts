/**
 * What the README promises, read from its text: the API table's names and the
 * "Try it" commands. Tests hold the code to these, so the README cannot drift.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './run-node.js';

export function readmeText(): string {
  return readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
}

/** A documented export and what kind of value the README says it is. */
export interface DocumentedExport {
  name: string;
  kind: 'function' | 'class';
}

/** The section under `## heading`, up to the next `## `. */
export function readmeSection(readme: string, heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/**
 * The names of the API table: `name(...)` in the first column is a function;
 * an error the description says is thrown or rejected with is a class.
 */
export function documentedExports(readme: string): DocumentedExport[] {
  const found = new Map<string, DocumentedExport['kind']>();
  for (const row of readmeSection(readme, 'API').split('\n')) {
    if (!row.startsWith('| `')) continue;
    const [, first = '', description = ''] = row.split('|');
    for (const m of first.matchAll(/`(\w+)\(/g)) found.set(m[1] as string, 'function');
    for (const m of description.matchAll(/(?:throws|rejects with)(?: an?)? `(\w+)`/g)) {
      // A global such as TypeError is the language's, not an export.
      if (!((m[1] as string) in globalThis)) found.set(m[1] as string, 'class');
    }
  }
  return [...found].map(([name, kind]) => ({ name, kind }));
}

/** A command of a README sh block, with the comment after it. */
export interface ReadmeCommand {
  command: string;
  comment: string;
}

/** The commands of the first sh block under `## heading`, without blank lines. */
export function readmeCommands(readme: string, heading: string): ReadmeCommand[] {
  const section = readmeSection(readme, heading);
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error(`README.md's "${heading}" section has no sh block`);
  return block
    .split('\n')
    .map((line) => {
      const m = /^(.*?)(?:(?:^|\s)#\s(.*))?$/.exec(line) as RegExpExecArray;
      return { command: (m[1] as string).trim(), comment: (m[2] ?? '').trim() };
    })
    .filter((c) => c.command !== '');
}
