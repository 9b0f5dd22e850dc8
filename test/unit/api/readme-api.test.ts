/**
 * The README's API table is where users learn what they can call: every
 * function the package exports is in it, and everything it names is exported.
 * (test/package/pack.test.ts checks the same names through the packed build.)
 */
import { describe, expect, it } from 'vitest';
import * as api from '../../../src/index.js';
import { documentedExports, readmeText } from '../../helpers/readme.js';

const isClass = (value: unknown) => typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));

describe("the README's API table", () => {
  it('names every exported function, and nothing the package does not export', () => {
    const documented = documentedExports(readmeText());
    const functions = Object.entries(api)
      .filter(([, value]) => typeof value === 'function' && !isClass(value))
      .map(([name]) => name)
      .sort();
    const documentedFunctions = documented.filter((d) => d.kind === 'function').map((d) => d.name);
    expect(functions).toEqual(expect.arrayContaining(['getCarrier', 'carrierEnv']));
    expect([...documentedFunctions].sort()).toEqual(functions);
    for (const { name } of documented) expect(api, name).toHaveProperty(name);
  });
});
