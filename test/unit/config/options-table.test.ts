import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTION_TYPES_FILE, readmeOptionsTable, renderOptionsTable, renderOptionTypes } from '../../../scripts/options-doc.js';
import { OPTION_TABLE, VARIABLE_ONLY_ROWS } from '../../../src/config/option-table.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import type { StagetraceOptions } from '../../../src/index.js';
import { JAEGER_URL_ENV } from '../../../src/report/jaeger-url.js';

const root = join(import.meta.dirname, '../../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The README table's rows as [option, variables] (option `—` for variable-only rows). */
function readmeRows(): [string, string[]][] {
  const block = readmeOptionsTable(readme) ?? '';
  return block
    .split('\n')
    .slice(2)
    .map((line) => {
      const [option = '', variables = ''] = line.split(' | ').map((c) => c.replace(/^\| /, ''));
      return [option.replaceAll('`', ''), [...variables.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1] as string)];
    });
}

describe('the options table', () => {
  it('is what the README shows, row for row (run `npm run docs:options` after changing the table)', () => {
    expect(readmeOptionsTable(readme), 'README.md has lost its options table markers').toBeDefined();
    expect(readmeOptionsTable(readme)).toBe(renderOptionsTable());
  });

  it('is what src/config/option-types.ts declares, type and TSDoc (run `npm run docs:options` after changing the table)', () => {
    expect(readFileSync(join(root, OPTION_TYPES_FILE), 'utf8')).toBe(renderOptionTypes());
  });

  it('lists the same options and variables as the README, both ways', () => {
    const fromReadme = readmeRows();
    const expected: [string, string[]][] = [
      ...OPTION_TABLE.map((row): [string, string[]] => [row.name, [...row.variables]]),
      ...VARIABLE_ONLY_ROWS.map((row): [string, string[]] => ['—', [...row.variables]]),
    ];
    expect(fromReadme).toEqual(expected);
  });

  it('knows every STAGETRACE_ variable the docs mention', () => {
    const docs = [readme, ...readdirSync(join(root, 'docs')).map((f) => readFileSync(join(root, 'docs', f), 'utf8'))].join('\n');
    // Variables of the repository's own tooling (stack install script, test runs), not options of the library.
    const tooling = ['STAGETRACE_TOOLS_DIR', 'STAGETRACE_PROPERTY_RUNS', 'STAGETRACE_RELIABILITY_REPEAT', 'STAGETRACE_RELIABILITY_REPORT'];
    // Variables the stagetrace command reads for its reports, not options of a session.
    const command = [JAEGER_URL_ENV];
    const known = new Set([...OPTION_TABLE.flatMap((row) => row.variables), ...tooling, ...command]);
    const mentioned = new Set([...docs.matchAll(/\bSTAGETRACE_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]));
    expect([...mentioned].filter((v) => !known.has(v))).toEqual([]);
  });

  it('has one row per name and per variable', () => {
    const names = OPTION_TABLE.map((row) => row.name);
    expect(new Set(names).size).toBe(names.length);
    const variables = OPTION_TABLE.flatMap((row) => row.variables);
    expect(new Set(variables).size).toBe(variables.length);
  });

  it('is what resolveConfig accepts: every name is known, and each variable is read and checked', () => {
    for (const row of OPTION_TABLE) {
      const [group, leaf] = row.name.split('.') as [string, string | undefined];
      // An empty object is wrong for every option that is not itself an object of free keys.
      const options = (leaf === undefined ? { [group]: Symbol('bad') } : { [group]: { [leaf]: Symbol('bad') } }) as StagetraceOptions;
      expect(() => resolveConfig(options, {}), row.name).toThrow(new RegExp(`^stagetrace: option ${row.name.replace('.', '\\.')} must be`));
      if (row.name === 'resourceAttributes') continue; // read by the SDK
      for (const variable of row.variables) {
        // Control characters are no valid value of any kind; an endpoint makes the OTLP variables read.
        const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', [variable]: '\u0000\u0001' };
        if (variable === 'OTEL_SERVICE_NAME' || variable === 'OTEL_EXPORTER_OTLP_ENDPOINT') continue;
        expect(() => resolveConfig({}, env), variable).toThrow(
          new RegExp(`^stagetrace: ${variable} \\(option ${row.name.replace('.', '\\.')}(\\.[^)]+)?\\) must be`),
        );
      }
    }
  });
});
