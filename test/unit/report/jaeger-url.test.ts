import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JaegerUrlError, jaegerUrlOf } from '../../../src/report/jaeger-url.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200;

describe('jaegerUrlOf', () => {
  it('takes an http or https base URL, without a trailing slash', () => {
    expect(jaegerUrlOf('http://localhost:16686', '--jaeger-url')).toBe('http://localhost:16686');
    expect(jaegerUrlOf(' https://tracing.example.com/jaeger/ ', '--jaeger-url')).toBe('https://tracing.example.com/jaeger');
  });

  it('refuses other schemes and text that is no URL, naming the option and what to give', () => {
    expect(() => jaegerUrlOf('javascript:alert(1)', '--jaeger-url')).toThrow(
      new JaegerUrlError("--jaeger-url must be an http or https URL, not javascript: give Jaeger's address, e.g. http://localhost:16686."),
    );
    expect(() => jaegerUrlOf('file:///etc/passwd', 'STAGETRACE_JAEGER_URL')).toThrow(
      /^STAGETRACE_JAEGER_URL must be an http or https URL, not file/,
    );
    expect(() => jaegerUrlOf('localhost:16686/x y', '--jaeger-url')).toThrow(/is not a URL|must be an http or https URL/);
    expect(() => jaegerUrlOf('jaeger', '--jaeger-url')).toThrow('--jaeger-url "jaeger" is not a URL');
    expect(() => jaegerUrlOf('http://jaeger/?x=1', '--jaeger-url')).toThrow('has a query or fragment');
  });

  it('refuses a URL with a user name or password without repeating it', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9]{1,12}$/),
        // Upper case and digits, six or more: no such run is in the message itself.
        fc.stringMatching(/^[A-Z0-9]{6,16}$/),
        fc.constantFrom('http', 'https'),
        (user, password, scheme) => {
          for (const url of [`${scheme}://${user}:${password}@jaeger.internal:16686`, `${scheme}://${user}@jaeger.internal`]) {
            let message = '';
            try {
              jaegerUrlOf(url, '--jaeger-url');
            } catch (error) {
              message = (error as Error).message;
            }
            expect(message).toContain('--jaeger-url holds a user name or password');
            expect(message).not.toContain(password);
            expect(message).not.toContain(`${user}@`);
          }
        },
      ),
      { numRuns: runs },
    );
  });
});
