import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stackWithCauses, toErrorInfo } from '../../../src/model/error-info.js';
import { REDACTED, Redactor } from '../../../src/model/redaction.js';

const redactor = new Redactor();
const info = (error: unknown) => toErrorInfo(error, redactor);

describe('toErrorInfo: what is kept', () => {
  it('keeps type, message, stack and the cause chain, redacted', () => {
    const error = new TypeError('GET https://u:S1@h/x failed', { cause: new Error('login password=S2 refused') });
    const out = info(error);
    expect(out.type).toBe('TypeError');
    expect(out.message).toBe(`GET https://u:${REDACTED}@h/x failed`);
    expect(out.stack).toMatch(/^TypeError: GET https:\/\/u:\[REDACTED\]@h\/x failed\n\s+at /);
    expect(out.causes).toEqual([{ type: 'Error', message: `login password=${REDACTED} refused`, stack: expect.any(String) }]);
    expect(JSON.stringify(out) + stackWithCauses(out)).not.toMatch(/S1|S2/);
  });

  it('renders thrown strings, numbers and undefined', () => {
    expect(info('plain https://u:S@h/')).toMatchObject({ type: 'string', message: `plain https://u:${REDACTED}@h/`, stack: undefined });
    expect(info(42)).toMatchObject({ type: 'number', message: '42' });
    expect(info(undefined)).toMatchObject({ type: 'undefined', message: 'undefined' });
    expect(info(null)).toMatchObject({ type: 'object', message: 'null' });
  });
});

describe('toErrorInfo: secrets in thrown objects', () => {
  it('a thrown plain object is rendered with its secret keys redacted', () => {
    const out = info({ message: 'obj', password: 'S', nested: { token: 'T', url: 'https://u:P@h/' } });
    expect(out.type).toBe('Object');
    expect(JSON.parse(out.message)).toEqual({
      message: 'obj',
      password: REDACTED,
      nested: { token: REDACTED, url: `https://u:${REDACTED}@h/` },
    });
  });

  it('an Error whose message is an object is rendered with its secret keys redacted', () => {
    const error = new Error('x');
    Object.defineProperty(error, 'message', { value: { password: 'S' } });
    expect(info(error).message).not.toContain('"S"');
  });
});

describe('toErrorInfo: hostile errors never throw and stay bounded', () => {
  const boom = () => {
    throw new Error('boom');
  };

  it('getters that throw on name, message, stack, cause and constructor', () => {
    const error = new Error('m');
    // stack first: defining it makes V8 format the stack, which reads name and message.
    for (const key of ['stack', 'name', 'message', 'cause', 'constructor']) Object.defineProperty(error, key, { get: boom });
    const out = info(error);
    expect(out.type).toEqual(expect.any(String));
    expect(out.message).toEqual(expect.any(String));
    expect(out.causes).toEqual([]);
  });

  it('toString and toJSON that throw, Proxies and revoked proxies', () => {
    const { proxy, revoke } = Proxy.revocable(new Error('p'), {});
    revoke();
    const trapping = new Proxy(new Error('t'), { get: boom, getPrototypeOf: boom, ownKeys: boom });
    for (const thrown of [{ toString: boom }, { toJSON: boom }, Object.create(null), proxy, trapping, Symbol('s'), () => 1, 10n ** 30n]) {
      expect(() => info(thrown)).not.toThrow();
      expect(info(thrown).message).toEqual(expect.any(String));
    }
  });

  it('a cause chain that loops, is very long, or throws', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(info(a).causes.map((c) => c.message)).toEqual(['b']);
    let deep = new Error('root');
    for (let i = 0; i < 1000; i++) deep = new Error(`e${i}`, { cause: deep });
    expect(info(deep).causes).toHaveLength(10);
  });

  it('a 1 MB message is cut, the stack keeps its frames, and it finishes (hang guard, not a timing)', () => {
    const started = performance.now();
    const out = info(new Error(`${'m'.repeat(1 << 20)} https://u:S@h/`));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(out.message.length).toBeLessThanOrEqual(8192 + 40);
    expect(out.message).toMatch(/…\[truncated from \d+ chars\]$/);
    expect(out.stack?.length).toBeLessThanOrEqual(8192 + 16384 + 80);
    expect(out.stack).toMatch(/\n\s+at /);
  });

  it('a huge thrown object is cut', () => {
    const wide = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i]));
    expect(info(wide).message.length).toBeLessThanOrEqual(8193);
  });
});

describe('property: whatever is thrown', () => {
  const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200;
  const boom = () => {
    throw new Error('boom');
  };
  /** Recipes rather than values: fast-check reads what it generates, and these must only be read by toErrorInfo. */
  const recipe = fc.letrec((tie) => ({
    thrown: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc
        .anything({ maxDepth: 2, withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true })
        .map((v) => () => v),
      fc.string({ maxLength: 50 }).map((m) => () => new Error(m)),
      fc.nat({ max: 1 << 20 }).map((n) => () => new RangeError('m'.repeat(n))),
      fc.tuple(fc.string({ maxLength: 10 }), tie('thrown')).map(
        ([m, cause]) =>
          () =>
            new Error(m, { cause: (cause as () => unknown)() }),
      ),
      fc
        .constantFrom('name', 'message', 'stack', 'cause', 'constructor')
        .map((key) => () => Object.defineProperty(new Error('x'), key, { get: boom })),
      fc.constant(() => {
        const { proxy, revoke } = Proxy.revocable(new Error('p'), {});
        revoke();
        return proxy;
      }),
      fc.constant(() => new Proxy(new Error('t'), { get: boom, getPrototypeOf: boom, ownKeys: boom, has: boom })),
      fc.constant(() => ({ toString: boom, toJSON: boom, message: 'obj', password: 'SECRETPW' })),
      fc.constant(() => {
        const a = new Error('a');
        (a as { cause?: unknown }).cause = new Error('b', { cause: a });
        return a;
      }),
    ),
  })).thrown as fc.Arbitrary<() => unknown>;

  it('never throws, stays within the caps, and finishes (hang guard)', () => {
    fc.assert(
      fc.property(recipe, (make) => {
        const thrown = make();
        const started = performance.now();
        const out = info(thrown);
        const text = stackWithCauses(out);
        expect(performance.now() - started).toBeLessThan(2000);
        expect(typeof out.type).toBe('string');
        expect(out.message.length).toBeLessThanOrEqual(8192 + 40);
        expect((out.stack ?? '').length).toBeLessThanOrEqual(8192 + 16384 + 300);
        expect(out.causes.length).toBeLessThanOrEqual(10);
        expect(text).not.toContain('SECRETPW');
      }),
      { numRuns: runs },
    );
  });
});
