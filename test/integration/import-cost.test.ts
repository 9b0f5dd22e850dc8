/**
 * Importing stagetrace loads the OpenTelemetry api and nothing else of
 * OpenTelemetry: `core` (and the semantic conventions it pulls in), the
 * tracing SDK, resources, sdk-node, the metrics SDK, exporters and
 * instrumentations wait for `start()`, `createStagetrace()` or a replay;
 * the SDK version check reads core's package.json instead of loading it.
 * Nor does it load Node's http, https, tls, net, crypto or perf_hooks.
 * A short job pays for what its options use. Run in a fresh process, where
 * nothing else loaded them.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runNodeScript } from '../helpers/run-node.js';

describe("import('stagetrace')", () => {
  it('loads @opentelemetry/api alone: no core, semantic conventions, SDK, exporter or instrumentation', async () => {
    const run = await runNodeScript(join(REPO_ROOT, 'test/integration/fixtures/import-only.ts'));
    expect(run.code, run.stderr).toBe(0);
    const { loaded, builtins, decision } = JSON.parse(run.stdout) as { loaded: string[]; builtins: string[]; decision: number };
    // CommonJS modules only (require.cache): on the 3.x line the api (and any other ES module) is not listed, so
    // the 2.x run is the one that holds the list; on 3.x this still catches a CommonJS SDK package loaded at import.
    const otel = loaded.filter((name) => name.startsWith('@opentelemetry/'));
    expect(otel.filter((name) => name !== '@opentelemetry/api')).toEqual([]);
    // Alert webhooks, replay and the report readers load node:http(s), node:crypto and the rest on first use.
    expect(builtins).toEqual([]);
    // AuditSampler, written against the api alone, still records and samples a root span (SamplingDecision.RECORD_AND_SAMPLED).
    expect(decision).toBe(2);
  });
});
