/** The environment variable that gives Jaeger's URL when `--jaeger-url` does not. */
export const JAEGER_URL_ENV = 'STAGETRACE_JAEGER_URL';

/** A Jaeger URL that cannot be used; `message` names where it came from, what is wrong and what to give instead. */
export class JaegerUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JaegerUrlError';
  }
}

/**
 * Jaeger's base URL for trace links (`<base>/trace/<id>`), checked: http or
 * https only, and no user name or password, since the report is a file that
 * gets passed around. The URL is given back without a trailing slash, query
 * or fragment. `source` names the option or variable in the error message.
 *
 * @throws JaegerUrlError when the URL is not usable.
 */
export function jaegerUrlOf(text: string, source: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new JaegerUrlError(`${source} ${JSON.stringify(text)} is not a URL: give Jaeger's address, e.g. http://localhost:16686.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new JaegerUrlError(
      `${source} must be an http or https URL, not ${url.protocol.replace(/:$/, '')}: give Jaeger's address, e.g. http://localhost:16686.`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    // The URL itself is not repeated: it holds the credentials.
    throw new JaegerUrlError(
      `${source} holds a user name or password; the report would carry it to everyone it is sent to. Give the URL without credentials.`,
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new JaegerUrlError(`${source} ${JSON.stringify(text)} has a query or fragment; give Jaeger's base address only.`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
