// Writes the README's options table from src/config/option-table.ts, so the
// two cannot drift: `npm run docs:options`. A test fails when the README's
// table differs from what this renders.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTION_TABLE, VARIABLE_ONLY_ROWS } from '../src/config/option-table.js';

export const TABLE_START = '<!-- options table: generated from src/config/option-table.ts by `npm run docs:options`; edit there -->';
export const TABLE_END = '<!-- end of options table -->';

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const code = (names: readonly string[]): string => names.map((n) => `\`${n}\``).join(', ');

/** The options table in Markdown, one row per option, then the standard variables without an option. */
export function renderOptionsTable(): string {
  const lines = ['| option | variable | allowed | default | meaning |', '|---|---|---|---|---|'];
  for (const row of OPTION_TABLE) {
    lines.push(
      `| \`${row.name}\` | ${code(row.variables)} | ${cell(row.kind.expected)} | ${cell(row.defaultText)} | ${cell(row.description)} |`,
    );
  }
  for (const row of VARIABLE_ONLY_ROWS) {
    lines.push(`| — | ${code(row.variables)} | ${cell(row.expected)} | ${cell(row.defaultText)} | ${cell(row.description)} |`);
  }
  return lines.join('\n');
}

/** The README's generated block, or undefined when the markers are missing. */
export function readmeOptionsTable(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end < start) return undefined;
  return readme.slice(start + TABLE_START.length, end).trim();
}

/** The README with its generated block replaced by a fresh rendering. */
export function withOptionsTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error(`README.md needs the markers\n${TABLE_START}\n${TABLE_END}\naround its options table.`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${renderOptionsTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = join(dirname(dirname(fileURLToPath(import.meta.url))), 'README.md');
  const before = readFileSync(path, 'utf8');
  const after = withOptionsTable(before);
  if (after !== before) writeFileSync(path, after);
  console.log(after === before ? 'README.md options table is up to date.' : 'README.md options table rewritten.');
}
