import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endpointForFiles } from '../../../src/model/endpoint-text.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200;
const word = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);

describe('endpointForFiles', () => {
  it('keeps scheme, host, port and path', () => {
    expect(endpointForFiles('http://collector.internal:4318/v1/traces')).toBe('http://collector.internal:4318/v1/traces');
    expect(endpointForFiles('https://otel.example.test/v1/traces')).toBe('https://otel.example.test/v1/traces');
  });

  it('leaves out user, password, query and fragment', () => {
    expect(endpointForFiles('https://user:s3cret@otel.example.test:4318/v1/traces?api_key=k3y#frag')).toBe(
      'https://otel.example.test:4318/v1/traces',
    );
  });

  it('never keeps a secret put in the user, password, query or fragment of any URL', () => {
    fc.assert(
      fc.property(word, word, word, word, (user, password, token, fragment) => {
        const secrets = [`U${user}`, `P${password}`, `T${token}`, `F${fragment}`];
        const url = `https://${secrets[0]}:${secrets[1]}@collector.example.test:4318/v1/traces?token=${secrets[2]}#${secrets[3]}`;
        const kept = endpointForFiles(url);
        expect(kept).toBe('https://collector.example.test:4318/v1/traces');
        for (const secret of secrets) expect(kept).not.toContain(secret);
      }),
      { numRuns: runs },
    );
  });

  it('says an unparsable endpoint is one rather than copying it', () => {
    expect(endpointForFiles('not a url with a token')).toBe('[unparsable endpoint]');
  });
});
