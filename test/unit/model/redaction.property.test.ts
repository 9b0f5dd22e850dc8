/**
 * Redaction properties: a secret placed anywhere a user can put data — free
 * text, URLs of every shape, objects at any depth, thrown values — never
 * survives, and the scan finishes on adversarial input of any shape.
 *
 * Each secret is two random halves around characters that URLs and configs
 * allow (`@`, `/`, `%40`, `:`…): neither half may appear in the output, so a
 * secret cut in two and half shown counts as a leak.
 * STAGETRACE_PROPERTY_RUNS raises the number of runs (CI can set it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flattenContext } from '../../../src/model/context-attributes.js';
import { stackWithCauses, toErrorInfo } from '../../../src/model/error-info.js';
import { MAX_SCRUB_CHARS, Redactor } from '../../../src/model/redaction.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 300;
const redactor = new Redactor();

const alnum = fc.string({
  unit: fc.constantFrom(...'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'),
  minLength: 10,
  maxLength: 16,
});

/** A secret: two random halves, and between them characters from `middle`. */
function secretOf(middle: string) {
  return fc
    .record({ a: alnum, b: alnum, mid: fc.string({ unit: fc.constantFrom(...middle.split(''), '%40', '%2F'), maxLength: 6 }) })
    .map(({ a, b, mid }) => ({ text: `${a}${mid}${b}`, halves: [a, b] }));
}

/** Characters a URL password may hold (not whitespace, quotes or angle brackets). */
const URL_PASSWORD_CHARS = '@/:?#=&;,!$*+~._-';
/** Characters a query or key=value value may hold (not `&`, `#`, whitespace, quotes). */
const VALUE_CHARS = '@/:?=;,!$*+~._-';
/** Characters of a Bearer credential (token68). */
const TOKEN_CHARS = '-._~+/';

const TEXT_KEYS = [
  'password',
  'db_password',
  'DB-PASSWORD',
  'passwd',
  'apiKey',
  'api_key',
  'X-Api-Key',
  'secret',
  'client_secret',
  'access_token',
  'token',
  'privateKey',
  'credentials',
  'Cookie',
  'Authorization',
];
const QUERY_PARAMS = [...TEXT_KEYS, 'sig', 'signature', 'key', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Goog-Signature', 'id_token'];

const host = fc.constantFrom('db.internal', 'bucket.s3.amazonaws.com', 'localhost:5432', 'h', 'api.example.com:8443');
const path = fc.constantFrom('', '/', '/warehouse', '/raw/2024-01.csv', '/a/b@c', '/cb');
const user = fc.constantFrom('bob', 'etl', 'x-access-token', 'u%40corp', 'a.b_c-d');

/** One construct holding the secret, and the secret. */
const construct = fc.oneof(
  // URL userinfo, password holding @ / : ? # and percent escapes
  fc
    .tuple(fc.constantFrom('https', 'postgres', 'mongodb+srv', 'ftp', 's3'), user, secretOf(URL_PASSWORD_CHARS), host, path)
    .map(([scheme, u, s, h, p]) => ({ text: `${scheme}://${u}:${s.text}@${h}${p}`, secret: s })),
  // a connection string without a scheme, password holding @ : / too
  fc
    .tuple(user, secretOf(URL_PASSWORD_CHARS.replace('#', '').replace('?', '')), host, path)
    .map(([u, s, h, p]) => ({ text: `${u}:${s.text}@${h}${p}`, secret: s })),
  // query parameter of a signed URL
  fc
    .tuple(host, path, fc.constantFrom(...QUERY_PARAMS), secretOf(VALUE_CHARS), fc.constantFrom('', '&X-Amz-Expires=300', '#frag'))
    .map(([h, p, name, s, tail]) => ({ text: `https://${h}${p}?v=1&${name}=${s.text}${tail}`, secret: s })),
  // fragment token
  fc
    .tuple(host, fc.constantFrom('access_token', 'id_token', 'token', 'refresh_token'), secretOf(VALUE_CHARS))
    .map(([h, name, s]) => ({ text: `https://${h}/cb#${name}=${s.text}&token_type=bearer`, secret: s })),
  // key=value, key: value, key = value in text
  fc
    .tuple(fc.constantFrom(...TEXT_KEYS), fc.constantFrom('=', ': ', ' = ', ':', '=  '), secretOf(VALUE_CHARS))
    .map(([key, sep, s]) => ({ text: `${key}${sep}${s.text}`, secret: s })),
  // quoted, as JSON or YAML text
  fc
    .tuple(fc.constantFrom(...TEXT_KEYS), fc.constantFrom('"', "'"), secretOf(`${VALUE_CHARS} &#`))
    .map(([key, q, s]) => ({ text: `${q}${key}${q}: ${q}${s.text}${q}`, secret: s })),
  // Bearer / Basic credentials, and an Authorization header with any scheme
  fc
    .tuple(
      fc.constantFrom('Bearer ', 'bearer  ', 'Basic ', 'Authorization: Bearer ', 'Authorization: token ', 'authorization=Basic '),
      secretOf(TOKEN_CHARS),
    )
    .map(([head, s]) => ({ text: `${head}${s.text}`, secret: s })),
);

/** Free text around the construct: anything at all, kept apart from it by whitespace. */
const noise = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', 'GET', 'token:', 'Authorization:', '"x":', 'https://h/p?a='),
);
const separator = fc.constantFrom(' ', '\n', '\t', ' (', ' "x": "');

const leaks = (out: string, secret: { halves: string[] }) => secret.halves.some((half) => out.includes(half));

describe('property: no secret survives redaction', () => {
  it('in free text, whatever is around it', () => {
    fc.assert(
      fc.property(noise, separator, construct, separator, noise, (before, sep1, c, sep2, after) => {
        const out = redactor.scrubText(`${before}${sep1}${c.text}${sep2}${after}`);
        expect(leaks(out, c.secret), out).toBe(false);
      }),
      { numRuns: runs * 3 },
    );
  });

  it('several secrets in one text', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(noise, construct), { minLength: 1, maxLength: 8 }), (parts) => {
        const out = redactor.scrubText(parts.map(([n, c]) => `${n} ${c.text}`).join(' '));
        for (const [, c] of parts) expect(leaks(out, c.secret), out).toBe(false);
      }),
      { numRuns: runs },
    );
  });

  it('in text longer than the cut, wherever the cut falls', () => {
    fc.assert(
      fc.property(fc.nat({ max: 120 }), construct, (shift, c) => {
        const head = 'w '.repeat((MAX_SCRUB_CHARS - 60 + shift) >> 1);
        const out = redactor.scrubText(`${head}${c.text} tail`);
        expect(leaks(out, c.secret)).toBe(false);
      }),
      { numRuns: runs },
    );
  });

  /** A random object tree with the secret under a secret key, and a URL with the secret under an ordinary key. */
  const tree = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean()),
      fc.array(tie('node'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'b', 'rows', 'file_key', 'nested', 'list'), tie('node'), { maxKeys: 3 }),
    ),
  })).node;

  function plant(root: unknown, depth: number, key: string, value: unknown): Record<string, unknown> {
    let top: Record<string, unknown> = { [key]: value };
    for (let d = 0; d < depth; d++) top = { level: top, other: root };
    return top;
  }

  it('in objects at any depth: context attributes, JSON text, thrown objects', () => {
    fc.assert(
      fc.property(
        tree,
        fc.nat({ max: 6 }),
        fc.constantFrom(...TEXT_KEYS),
        secretOf(VALUE_CHARS),
        construct,
        fc.boolean(),
        (root, depth, key, s, c, inArray) => {
          const plantedSecret = plant(root, depth, key, inArray ? [s.text] : s.text);
          const plantedUrl = plant(root, depth, 'note', inArray ? [1, c.text] : c.text);
          for (const value of [plantedSecret, plantedUrl, new Map(Object.entries(plantedSecret))]) {
            const outputs = [
              JSON.stringify(flattenContext(value, 'ctx.', redactor, { maxAttributes: 10_000, maxDepth: 16, maxStringLength: 8192 })),
              redactor.toJsonText(value, 1 << 20),
              redactor.toText(value),
              stackWithCauses(toErrorInfo(value, redactor)),
            ];
            for (const out of outputs) {
              expect(leaks(out, s), out).toBe(false);
              expect(leaks(out, c.secret), out).toBe(false);
            }
          }
        },
      ),
      { numRuns: runs },
    );
  });

  it('in error messages, causes and stacks', () => {
    fc.assert(
      fc.property(noise, construct, construct, (n, c1, c2) => {
        const error = new Error(`${n} ${c1.text}`, { cause: new TypeError(`${c2.text} ${n}`) });
        const info = toErrorInfo(error, redactor);
        const out = JSON.stringify(info) + stackWithCauses(info);
        expect(leaks(out, c1.secret), out).toBe(false);
        expect(leaks(out, c2.secret), out).toBe(false);
      }),
      { numRuns: runs },
    );
  });

  it('in object keys', () => {
    fc.assert(
      fc.property(construct, (c) => {
        const out = flattenContext({ [c.text]: 'v', nested: { [c.text]: 1 } }, 'ctx.', redactor);
        expect(leaks(JSON.stringify(Object.keys(out)), c.secret)).toBe(false);
        expect(leaks(redactor.toJsonText({ [c.text]: 'v' }), c.secret)).toBe(false);
      }),
      { numRuns: runs },
    );
  });
});

describe('property: redaction is total and bounded', () => {
  it('never throws, keeps text without any marker as it is, and stays within the cap', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
        const out = redactor.scrubText(text);
        if (!/[:=]|bearer|basic/i.test(text)) expect(out).toBe(text);
        expect(out.length).toBeLessThanOrEqual(MAX_SCRUB_CHARS + 40);
      }),
      { numRuns: runs * 3 },
    );
  });

  const nasty = fc.string({
    unit: fc.constantFrom('a', ':', '/', '=', '@', '?', '&', '#', '"', "'", '\\', ' ', 'b', 'Bearer ', 'password', 'https://', 'x:'),
    minLength: 1,
    maxLength: 10,
  });

  it('finishes a 1 MB value of any repeated shape (hang guard, not a timing; the bench measures)', () => {
    fc.assert(
      fc.property(nasty, (unit) => {
        const text = unit.repeat(Math.ceil((1 << 20) / unit.length));
        const started = performance.now();
        redactor.scrubText(text);
        expect(performance.now() - started).toBeLessThan(2000);
      }),
      { numRuns: 40 },
    );
  });

  it('the scan itself is not quadratic: 256 KiB with the cap lifted finishes (hang guard)', () => {
    fc.assert(
      fc.property(nasty, (unit) => {
        const text = unit.repeat(Math.ceil((1 << 18) / unit.length));
        const started = performance.now();
        redactor.scrubText(text, Number.POSITIVE_INFINITY);
        expect(performance.now() - started).toBeLessThan(3000);
      }),
      { numRuns: 40 },
    );
  });
});
