import { describe, expect, it } from 'vitest';
import { MAX_SCRUB_CHARS, REDACTED, Redactor } from '../../../src/model/redaction.js';

const redactor = new Redactor();
const scrub = (text: string) => redactor.scrubText(text);

describe('Redactor.scrubText: what it caught before', () => {
  it('removes URL passwords and keeps user, host and path', () => {
    expect(scrub('postgres://etl:s3cret@db.internal:5432/warehouse')).toBe(`postgres://etl:${REDACTED}@db.internal:5432/warehouse`);
    expect(scrub('see https://alice:pw@h.example/a and ftp://bob:x1@f.example/b')).toBe(
      `see https://alice:${REDACTED}@h.example/a and ftp://bob:${REDACTED}@f.example/b`,
    );
  });

  it('keeps URLs without a password as they are', () => {
    for (const url of [
      'https://h.example/a/b?x=1',
      'ssh://git@github.com/org/repo.git',
      'https://h.example:8443/path',
      'https://registry.example/@scope/pkg',
      'file:///var/data/2024-01.csv',
    ]) {
      expect(scrub(url), url).toBe(url);
    }
  });

  it('removes credential query parameters of signed URLs and keeps the rest', () => {
    expect(
      scrub('https://b.s3.amazonaws.com/k.csv?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abc123&partNumber=2'),
    ).toBe(`https://b.s3.amazonaws.com/k.csv?X-Amz-Algorithm=AWS4&X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}&partNumber=2`);
    expect(scrub('https://a.blob.core.windows.net/c/f?sv=2022&sig=SIG%3D&se=2024')).toBe(
      `https://a.blob.core.windows.net/c/f?sv=2022&sig=${REDACTED}&se=2024`,
    );
    // A secret value may hold `;` or `,`: it ends only at `&`, `#`, whitespace or a quote.
    expect(scrub('https://x.test/p?key=K1;token=T1&a=1')).toBe(`https://x.test/p?key=${REDACTED}&a=1`);
  });

  it('removes Bearer and Basic credentials but not the words in prose', () => {
    expect(scrub('sent Bearer abcdefghijklmnop to the API')).toBe(`sent Bearer ${REDACTED} to the API`);
    expect(scrub('auth: Basic dXNlcjpwYXNzd29yZA==')).not.toContain('dXNlcjpwYXNzd29yZA');
    expect(scrub('a basic setup')).toBe('a basic setup');
  });

  it('leaves text without any marker untouched (the same string)', () => {
    const text = 'month 2024-01 stage 3 wrote 1200 rows';
    expect(scrub(text)).toBe(text);
  });

  it('honours extra secret keys and extra query parameters', () => {
    const custom = new Redactor({ extraKeys: ['ssn'], extraQueryParams: ['x-custom-auth'] });
    expect(custom.isSecretKey('customer_ssn')).toBe(true);
    expect(custom.isSecretKey('name')).toBe(false);
    expect(custom.scrubText('https://h/p?X-Custom-Auth=CUSTOM&a=1')).toBe(`https://h/p?X-Custom-Auth=${REDACTED}&a=1`);
    expect(redactor.scrubText('https://h/p?X-Custom-Auth=CUSTOM&a=1')).toBe('https://h/p?X-Custom-Auth=CUSTOM&a=1');
  });

  it('matches secret keys however they are written', () => {
    for (const key of ['password', 'db_password', 'X-Api-Key', 'awsSecretAccessKey', 'Authorization', 'private.key', 'session token']) {
      expect(redactor.isSecretKey(key), key).toBe(true);
    }
    for (const key of ['file_key', 's3_key', 'key', 'partition_key', 'rows', 'month']) {
      expect(redactor.isSecretKey(key), key).toBe(false);
    }
  });
});

describe('Redactor.scrubText: what passed before', () => {
  it('removes URL passwords that contain @', () => {
    expect(scrub('https://bob:p@ss@host/x')).toBe(`https://bob:${REDACTED}@host/x`);
    expect(scrub('https://bob:@@@@host/x')).toBe(`https://bob:${REDACTED}@host/x`);
  });

  it('removes URL passwords that contain /', () => {
    expect(scrub('https://bob:a/b@host/x')).toBe(`https://bob:${REDACTED}@host/x`);
    expect(scrub('https://bob:a/b?c#d@host/x then more')).toBe(`https://bob:${REDACTED}@host/x then more`);
  });

  it('removes percent-encoded URL passwords', () => {
    expect(scrub('https://bob:p%40ss%2Fw@host/x')).toBe(`https://bob:${REDACTED}@host/x`);
  });

  it('removes tokens from URL fragments', () => {
    // token_type holds the fragment `token`, as a context key would.
    expect(scrub('https://app.example/cb#access_token=FRAGTOKEN&token_type=bearer&expires_in=3600')).toBe(
      `https://app.example/cb#access_token=${REDACTED}&token_type=${REDACTED}&expires_in=3600`,
    );
    expect(scrub('https://app.example/cb#id_token=IDTOKEN')).toBe(`https://app.example/cb#id_token=${REDACTED}`);
  });

  it('removes query parameters whose name holds a secret key fragment', () => {
    expect(scrub('https://h/cb?code=1&refresh_token=RT&client_secret=CS&x=2')).toBe(
      `https://h/cb?code=1&refresh_token=${REDACTED}&client_secret=${REDACTED}&x=2`,
    );
  });

  it('removes key=value and key: value secrets in free text', () => {
    expect(scrub('connecting with password=hunter2 to db')).toBe(`connecting with password=${REDACTED} to db`);
    expect(scrub('password=hunter2')).toBe(`password=${REDACTED}`);
    expect(scrub('DB_PASSWORD = hunter2')).toBe(`DB_PASSWORD = ${REDACTED}`);
    expect(scrub('api_key: AKIAXYZ, region: eu')).not.toContain('AKIAXYZ');
    expect(scrub('user=bob&password=hunter2&db=x')).toBe(`user=bob&password=${REDACTED}&db=x`);
    expect(scrub('sha256=ffff rows=3')).toBe('sha256=ffff rows=3');
  });

  it('removes quoted secrets in JSON or config text', () => {
    expect(scrub('{"user":"bob","password":"a b\\"c","db":"x"}')).toBe(`{"user":"bob","password":"${REDACTED}","db":"x"}`);
    expect(scrub("secret: 'with spaces'")).toBe(`secret: '${REDACTED}'`);
  });

  it('removes an Authorization header value whatever its scheme', () => {
    expect(scrub('Authorization: token ghp_SECRETTOKEN')).not.toContain('ghp_SECRETTOKEN');
    expect(scrub('authorization=Bearer SECRETBEARER')).not.toContain('SECRETBEARER');
  });
});

describe('Redactor.scrubText: connection strings without a scheme', () => {
  it('removes the password of user:password@host and keeps user, host, port and path', () => {
    const r = new Redactor();
    expect(r.scrubText('connecting to etl:hunter2@db.internal:5432/warehouse')).toBe(
      'connecting to etl:[REDACTED]@db.internal:5432/warehouse',
    );
    expect(r.scrubText('(etl:p@ss:w@rd@db)')).toBe('(etl:[REDACTED]@db)');
    expect(r.scrubText('dsn="etl:hunter2@db:5432"')).toBe('dsn="etl:[REDACTED]@db:5432"');
  });

  it('leaves times, ports, stack frames and prose with @ alone', () => {
    const r = new Redactor();
    for (const text of [
      'at 12:30 the job began',
      'Error: sent to ops@example.com',
      'localhost:5432',
      'at run (/app/node_modules/@scope/pkg/dist/index.js:48:5)',
      'user@example.com: done',
    ])
      expect(r.scrubText(text)).toBe(text);
  });
});

describe('Redactor.scrubText: bounded', () => {
  it(`cuts text longer than ${MAX_SCRUB_CHARS} characters and says how long it was`, () => {
    const text = 'word '.repeat(300_000);
    const out = scrub(text);
    expect(out.length).toBeLessThanOrEqual(MAX_SCRUB_CHARS + 40);
    expect(out.endsWith(`…[truncated from ${text.length} chars]`)).toBe(true);
    expect(out.startsWith('word word ')).toBe(true);
  });

  it('a secret past the cut is gone, and one the cut splits is not left half-shown', () => {
    const filler = 'x '.repeat(MAX_SCRUB_CHARS);
    expect(scrub(`${filler}password=LATESECRET`)).not.toContain('LATESECRET');
    for (let shift = 0; shift < 40; shift++) {
      const head = 'y'.repeat(MAX_SCRUB_CHARS - 20 - shift);
      for (const tail of [
        ' https://u:QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ@h/x',
        ' Bearer QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ',
        ' password=QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ',
        ' "password": "QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"',
        ' https://h/p?X-Amz-Signature=QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ',
      ]) {
        const out = scrub(head + tail);
        expect(out, `${tail} shifted ${shift}`).not.toMatch(/QQ/);
      }
    }
  });

  it('does not leave half a surrogate pair at the cut', () => {
    const text = `${'a'.repeat(MAX_SCRUB_CHARS - 1)}😀${'b'.repeat(10)}`;
    const out = scrub(text);
    expect(out.charCodeAt(MAX_SCRUB_CHARS - 1)).not.toBe(0xd83d);
    expect(out.startsWith('a'.repeat(MAX_SCRUB_CHARS - 1))).toBe(true);
  });

  it('finishes inputs that made the old patterns backtrack (hang guard, not a timing)', () => {
    for (const text of [
      `${'a'.repeat(1 << 20)}=1`,
      `sha256=${'f'.repeat(1 << 20)}`,
      `Error: ${'m'.repeat(1 << 20)}\n    at file:///app/x.js:1:1`,
      'x://a:'.repeat(1 << 17),
      'Bearer '.repeat(1 << 17),
      'password='.repeat(1 << 17),
      '"password":"\\'.repeat(1 << 16),
    ]) {
      const started = performance.now();
      scrub(text);
      expect(performance.now() - started).toBeLessThan(2000);
    }
  });
});

describe('Redactor.toJsonText', () => {
  it('renders objects as JSON with secret keys redacted at any depth and strings scrubbed', () => {
    const value = { message: 'obj', password: 'S1', nested: { deeper: [{ api_key: 'S2', url: 'https://u:S3@h/' }] } };
    const text = redactor.toJsonText(value, 4096);
    expect(JSON.parse(text)).toEqual({
      message: 'obj',
      password: REDACTED,
      nested: { deeper: [{ api_key: REDACTED, url: `https://u:${REDACTED}@h/` }] },
    });
  });

  it('renders BigInt and non-finite numbers as strings, cycles and unreadable values as markers', () => {
    const cyclic: Record<string, unknown> = { n: 1n, nan: Number.NaN, inf: -Infinity, z: -0 };
    cyclic.self = cyclic;
    Object.defineProperty(cyclic, 'bad', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(JSON.parse(redactor.toJsonText(cyclic, 4096))).toEqual({
      n: '1',
      nan: 'NaN',
      inf: '-Infinity',
      z: 0,
      self: '[Circular]',
      bad: '[Unreadable]',
    });
  });

  it('never throws on revoked proxies, throwing toJSON or ownKeys, and stops at the budget', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const noKeys = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no');
        },
      },
    );
    const badJson = {
      toJSON() {
        throw new Error('no');
      },
    };
    expect(JSON.parse(redactor.toJsonText({ a: 1, proxy, noKeys, badJson, b: 2 }, 4096))).toEqual({
      a: 1,
      proxy: '[Unreadable]',
      noKeys: '[Unreadable]',
      badJson: '[Unreadable]',
      b: 2,
    });
    const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 'v'.repeat(50)]));
    const text = redactor.toJsonText(wide, 1000);
    expect(text.length).toBeLessThanOrEqual(1001);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('Redactor.toText', () => {
  it('gives any value as redacted text without throwing', () => {
    expect(redactor.toText('https://u:S@h/')).toBe(`https://u:${REDACTED}@h/`);
    expect(redactor.toText(42)).toBe('42');
    expect(redactor.toText(undefined)).toBe('undefined');
    expect(redactor.toText(Symbol('s'))).toBe('Symbol(s)');
    expect(redactor.toText(Object.create(null))).toBe('{}');
    expect(redactor.toText({ password: 'S' })).toBe(`{"password":"${REDACTED}"}`);
    expect(
      redactor.toText({
        toString() {
          throw new Error('boom');
        },
      }),
    ).toBe('{}');
    expect(redactor.toText(new Error('at https://u:S@h/'))).toBe(`Error: at https://u:${REDACTED}@h/`);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(redactor.toText(proxy)).toBe('[Unreadable]');
  });
});
