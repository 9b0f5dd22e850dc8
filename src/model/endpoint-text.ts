/**
 * An endpoint as the audit files may keep it: scheme, host, port and path.
 * A user name, password, query or fragment in the URL can carry a secret
 * (`https://user:token@host`, `?api_key=`), and the files outlive the
 * process, so they are left out; credentials for a later replay come from the
 * environment (`OTEL_EXPORTER_OTLP_HEADERS`) as they did for the run.
 */
export function endpointForFiles(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '[unparsable endpoint]';
  }
  return `${parsed.origin}${parsed.pathname}`;
}
