// Writes the README's options table and the options' TypeScript types with
// their TSDoc (src/config/option-types.ts) from src/config/option-table.ts, so
// none can drift from it: `npm run docs:options`. A test fails when either
// differs from what this renders.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTION_GROUPS, OPTION_TABLE, type OptionRow, VARIABLE_ONLY_ROWS } from '../src/config/option-table.js';

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

export const OPTION_TYPES_FILE = 'src/config/option-types.ts';

/** A TSDoc block at `indent`, wrapped at 120 columns. */
function tsdoc(text: string, indent: string): string {
  const width = 120 - indent.length - 3;
  if (text.length <= width - 4) return `${indent}/** ${text} */`;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`].join('\n');
}

const sentence = (text: string): string => {
  const capital = text.startsWith('`') ? text : text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};

/** An option's TSDoc: what it does, what it accepts, its default and its variables. */
function optionDoc(row: OptionRow<string, unknown, unknown>): string {
  const variables = row.variables.length === 0 ? '' : ` ${row.variables.length === 1 ? 'Variable' : 'Variables'}: ${code(row.variables)}.`;
  const fallback = row.defaultText === '—' ? '' : ` Default: ${row.defaultText}.`;
  return `${sentence(row.description)} Allowed: ${row.kind.expected}.${fallback}${variables}`;
}

/** src/config/option-types.ts: the option types, one field per row of the table, in its order. */
export function renderOptionTypes(): string {
  const top: string[] = [];
  const groups = new Map<string, string[]>();
  const aliases: string[] = [];
  for (const row of OPTION_TABLE as readonly OptionRow<string, unknown, unknown>[]) {
    let type = row.kind.tsType;
    if (row.typeName !== undefined) {
      aliases.push(`${tsdoc(sentence(row.description), '')}\nexport type ${row.typeName} = ${type};`);
      type = row.typeName;
    }
    const dot = row.name.indexOf('.');
    const field = dot === -1 ? row.name : row.name.slice(dot + 1);
    const declared = `${tsdoc(optionDoc(row), '  ')}\n  ${field}?: ${type};`;
    if (dot === -1) {
      top.push(declared);
      continue;
    }
    const group = row.name.slice(0, dot);
    const spec = OPTION_GROUPS[group];
    if (spec === undefined) throw new Error(`option ${row.name}: no OPTION_GROUPS entry for '${group}'`);
    if (!groups.has(group)) {
      groups.set(group, []);
      top.push(`${tsdoc(spec.description, '  ')}\n  ${group}?: ${spec.typeName};`);
    }
    groups.get(group)?.push(declared);
  }
  const interfaces = [...groups].map(([group, fields]) => {
    const spec = OPTION_GROUPS[group] as (typeof OPTION_GROUPS)[string];
    return `${tsdoc(spec.typeDoc, '')}\nexport interface ${spec.typeName} {\n${fields.join('\n')}\n}`;
  });
  const main = `${tsdoc(
    'Everything `start()` and `createStagetrace()` accept; most fields also have an environment variable. Generated from the table in `option-table.ts`, which validation reads too.',
    '',
  )}\nexport interface StagetraceOptions {\n${top.join('\n')}\n}`;
  return [
    '// Generated from src/config/option-table.ts by `npm run docs:options`: edit the table, not this file.',
    "import type { Attributes } from '@opentelemetry/api';",
    "import type { ConsoleLevel } from '../model/console-level.js';",
    "import type { LogLevel } from '../model/levels.js';",
    '',
    [...aliases, ...interfaces, main].join('\n\n'),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const typesPath = join(root, OPTION_TYPES_FILE);
  const types = renderOptionTypes();
  const typesChanged = readFileSync(typesPath, { encoding: 'utf8', flag: 'a+' }) !== types;
  if (typesChanged) writeFileSync(typesPath, types);
  console.log(typesChanged ? `${OPTION_TYPES_FILE} rewritten.` : `${OPTION_TYPES_FILE} is up to date.`);
  const path = join(root, 'README.md');
  const before = readFileSync(path, 'utf8');
  const after = withOptionsTable(before);
  if (after !== before) writeFileSync(path, after);
  console.log(after === before ? 'README.md options table is up to date.' : 'README.md options table rewritten.');
}
