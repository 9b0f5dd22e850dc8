/**
 * Secrets never leave the process: not in the four audit files, not on the
 * console, not in what the OTLP collector receives. Each secret value
 * contains `SECRET-`, so one search over every output finds any leak.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logProgress, shutdown, start, startStage, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr } from '../../helpers/capture-stderr.js';
import { OtlpReceiver, type ReceivedSpan } from '../otlp-receiver.js';
import { ERRORS, HUMAN, PERFORMANCE, readJsonl, readText, STRUCTURED, tempDir } from './audit-support.js';

const SECRET_KEYS: Record<string, string> = {
  password: 'SECRET-password',
  passwd: 'SECRET-passwd',
  secret: 'SECRET-secret',
  token: 'SECRET-token',
  api_key: 'SECRET-api_key',
  apikey: 'SECRET-apikey',
  access_key: 'SECRET-access_key',
  secret_access_key: 'SECRET-secret_access_key',
  authorization: 'Bearer SECRET-authorization',
  credential: 'SECRET-credential',
  credentials: 'SECRET-credentials',
  private_key: 'SECRET-private_key',
  session_token: 'SECRET-session_token',
  ssn: 'SECRET-ssn', // configured with redact.keys
};

const URL_WITH_PASSWORD = 'https://alice:SECRET-urlpass@db.example.com/warehouse/monthly';
const SIGNED_S3 =
  'https://bucket.s3.amazonaws.com/raw/2024/file.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=SECRET-amzcred&X-Amz-Security-Token=SECRET-amztoken&X-Amz-Signature=SECRET-amzsig&X-Amz-Expires=300';
const SIGNED_SIG = 'https://cdn.example.com/exports/a.csv?sig=SECRET-sig&expires=99';
const SIGNED_SIGNATURE = 'https://files.example.com/b.csv?v=2&signature=SECRET-signature';
const VISIBLE = { file_key: 'raw/2024/file.csv', s3_key: 'bucket/raw/2024/file.csv' };

const root = tempDir('redact');
const logDir = join(root.dir, 'logs');
let receiver: OtlpReceiver;
let consoleText = '';
let spans: ReceivedSpan[] = [];
let otlpText = '';

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  const capture = captureStderr();
  try {
    await start({
      logDir,
      durability: 'sync',
      console: true,
      colors: false,
      handleExit: false,
      hostMetrics: false,
      redact: { keys: ['ssn'] },
      otlp: { endpoint: receiver.url },
    });
    await traceMonth(
      '2024-09',
      async () => {
        // Secrets in stage context, nested context and a message's context.
        await traceStage(
          'download',
          async () => {
            logProgress(`Fetching ${SIGNED_S3}`, { context: { ...SECRET_KEYS, ...VISIBLE, url: SIGNED_SIG } });
            logProgress(`Connecting to ${URL_WITH_PASSWORD}`);
            logProgress(`Mirror ${SIGNED_SIG} and ${SIGNED_SIGNATURE}`);
          },
          {
            context: {
              ...SECRET_KEYS,
              ...VISIBLE,
              db: { url: URL_WITH_PASSWORD, auth: { password: 'SECRET-nested-password', user: 'alice' } },
            },
          },
        );
        // Secrets in error messages, causes and a failing stage.
        await traceStage('upload', async () => {
          throw new Error(`PUT ${SIGNED_S3} failed`, { cause: new Error(`login to ${URL_WITH_PASSWORD} refused`) });
        }).catch(() => undefined);
        logProgress('retrying', {
          level: 'ERROR',
          error: new Error(`bad signature in ${SIGNED_SIGNATURE}`),
          context: { deep: { l1: { l2: { token: 'SECRET-deep-token' } } } },
        });
        const stage = startStage('validate', { context: { credentials: { user: 'alice', pass: 'SECRET-object-under-secret-key' } } });
        stage.end({ context: { api_key: 'SECRET-end-context' } });
      },
      { context: { ...SECRET_KEYS, ...VISIBLE } },
    );
    await shutdown();
  } finally {
    capture.restore();
  }
  consoleText = capture.text();
  spans = receiver.spans();
  otlpText = receiver.requests.map((r) => r.raw.toString('utf8')).join('\n');
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  root.remove();
});

const files = () => ({
  [HUMAN]: readText(join(logDir, HUMAN)),
  [STRUCTURED]: readText(join(logDir, STRUCTURED)),
  [PERFORMANCE]: readText(join(logDir, PERFORMANCE)),
  [ERRORS]: readText(join(logDir, ERRORS)),
});

describe('redaction across every output', () => {
  it('the run produced every output', () => {
    expect(spans.filter((s) => s.attributes['stagetrace.kind'] === 'stage')).toHaveLength(3);
    expect(readJsonl(join(logDir, STRUCTURED)).length).toBeGreaterThan(8);
    expect(consoleText).toContain('Connecting to');
    expect(files()[ERRORS]).toContain('Error Message:');
  });

  it('no secret value appears in the files, on the console or in the OTLP payload', () => {
    const outputs: Record<string, string> = { ...files(), console: consoleText, otlp: otlpText };
    for (const [name, text] of Object.entries(outputs)) {
      const leaks = text.match(/SECRET-[\w-]+/g) ?? [];
      expect(leaks, `${name} leaks`).toEqual([]);
    }
  });

  it('secret keys stay visible with the value [REDACTED], at every depth, in files and spans', () => {
    const structured = readJsonl(join(logDir, STRUCTURED));
    const downloadStart = structured.find((r) => r.stage === 'download' && r.stage_event === 'start') as Record<string, unknown>;
    const context = downloadStart.context as Record<string, unknown>;
    for (const key of Object.keys(SECRET_KEYS)) expect(context[key], key).toBe('[REDACTED]');
    expect(context['db.auth.password']).toBe('[REDACTED]');
    expect(context['db.auth.user']).toBe('alice');
    const download = spans.find((s) => s.name === 'download') as ReceivedSpan;
    for (const key of Object.keys(SECRET_KEYS)) expect(download.attributes[`stagetrace.context.${key}`], key).toBe('[REDACTED]');
    const month = spans.find((s) => s.attributes['stagetrace.kind'] === 'month') as ReceivedSpan;
    expect(month.attributes['stagetrace.context.session_token']).toBe('[REDACTED]');
    const deep = structured.find((r) => r.message === 'retrying') as Record<string, unknown>;
    expect(deep.context).toEqual({ 'deep.l1.l2.token': '[REDACTED]' });
    const validateEnd = structured.find((r) => r.stage === 'validate' && r.stage_event === 'end') as Record<string, unknown>;
    expect(validateEnd.context).toMatchObject({ credentials: '[REDACTED]', api_key: '[REDACTED]' });
  });

  it('file_key and s3_key stay readable', () => {
    const performance = readJsonl(join(logDir, PERFORMANCE));
    expect(performance.find((p) => p.stage === 'download')?.context).toMatchObject(VISIBLE);
    const download = spans.find((s) => s.name === 'download') as ReceivedSpan;
    expect(download.attributes['stagetrace.context.file_key']).toBe(VISIBLE.file_key);
    expect(download.attributes['stagetrace.context.s3_key']).toBe(VISIBLE.s3_key);
  });

  it('a URL keeps its user, host and path; only the password goes', () => {
    const kept = 'https://alice:[REDACTED]@db.example.com/warehouse/monthly';
    for (const [name, text] of Object.entries({ ...files(), console: consoleText, otlp: otlpText })) {
      if (name === PERFORMANCE) continue; // holds no messages
      expect(text, name).toContain(kept);
    }
  });

  it('signed URLs lose the signature, credential and token values; the rest stays readable', () => {
    const s3 =
      'https://bucket.s3.amazonaws.com/raw/2024/file.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[REDACTED]&X-Amz-Security-Token=[REDACTED]&X-Amz-Signature=[REDACTED]&X-Amz-Expires=300';
    for (const text of [files()[HUMAN], files()[STRUCTURED], consoleText, otlpText]) {
      expect(text).toContain(s3);
      expect(text).toContain('https://cdn.example.com/exports/a.csv?sig=[REDACTED]&expires=99');
      expect(text).toContain('https://files.example.com/b.csv?v=2&signature=[REDACTED]');
    }
    // In an error's message and stack, in error_details.log.
    expect(files()[ERRORS]).toContain(`Error Message: PUT ${s3} failed`);
    expect(files()[ERRORS]).toContain('Caused by: Error: login to https://alice:[REDACTED]@db.example.com/warehouse/monthly refused');
  });
});
