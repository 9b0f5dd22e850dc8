/**
 * The provisioned Grafana dashboard read as Grafana reads it: panels (rows'
 * nested panels included), their queries and data sources, the template
 * variables, and the data links. Grafana does not run here; its queries
 * are evaluated against the real Prometheus with the variables substituted
 * as Grafana would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../helpers/run-node.js';

export const DASHBOARD_FILE = 'deploy/grafana/dashboards/stagetrace.json';
export const DATASOURCES_FILE = 'deploy/grafana/provisioning/datasources/datasources.yaml';

interface DatasourceRef {
  type?: string;
  uid?: string;
}

interface Target {
  refId: string;
  expr?: string;
  datasource?: DatasourceRef;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { overrides?: { matcher: { options: string }; properties: { id: string; value: unknown }[] }[] };
}

export interface Variable {
  name: string;
  type: string;
  datasource?: DatasourceRef;
  definition?: string;
  query?: string | { query: string };
  allValue?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(join(REPO_ROOT, DASHBOARD_FILE), 'utf8')) as Dashboard;
}

/** Every panel, rows' collapsed children included, rows themselves excluded. */
export function allPanels(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  const visit = (panels: Panel[]) => {
    for (const panel of panels) {
      if (panel.type !== 'row') out.push(panel);
      if (panel.panels) visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  return out;
}

/** Each query of the dashboard on a data source of `type`, named by panel title and refId. */
function queriesOf(dashboard: Dashboard, type: string): { where: string; expr: string }[] {
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t) => t.expr !== undefined && (t.datasource ?? panel.datasource)?.type === type)
      .map((t) => ({ where: `${panel.title} [${t.refId}]`, expr: t.expr as string })),
  );
}

/** Each PromQL query of the dashboard, named by panel title and refId. */
export function promQueries(dashboard: Dashboard): { where: string; expr: string }[] {
  return queriesOf(dashboard, 'prometheus');
}

/** Each LogsQL query of the dashboard (the VictoriaLogs data source). */
export function logsQueries(dashboard: Dashboard): { where: string; expr: string }[] {
  return queriesOf(dashboard, 'victoriametrics-logs-datasource');
}

/** The uids of the data sources the provisioning file defines, by type. */
export function provisionedDatasources(): { uid: string; type: string; url: string }[] {
  const file = parse(readFileSync(join(REPO_ROOT, DATASOURCES_FILE), 'utf8')) as {
    datasources: { uid: string; type: string; url: string }[];
  };
  return file.datasources;
}

/** Every data source reference in the dashboard: panels, targets and variables. */
export function datasourceRefs(dashboard: Dashboard): { where: string; ref: DatasourceRef | undefined }[] {
  const refs: { where: string; ref: DatasourceRef | undefined }[] = [];
  for (const panel of allPanels(dashboard)) {
    refs.push({ where: `panel "${panel.title}"`, ref: panel.datasource });
    for (const t of panel.targets ?? []) refs.push({ where: `panel "${panel.title}" query ${t.refId}`, ref: t.datasource });
  }
  for (const v of dashboard.templating.list) {
    if (v.type === 'query') refs.push({ where: `variable $${v.name}`, ref: v.datasource });
  }
  return refs;
}

/** A variable's PromQL `label_values(selector, label)` query. */
export function variableQuery(variable: Variable): { selector: string; label: string } {
  const text = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
  const m = /^label_values\((.+),\s*(\w+)\)$/.exec(text.trim());
  if (!m) throw new Error(`variable $${variable.name}: expected label_values(selector, label), got ${JSON.stringify(text)}`);
  return { selector: m[1] as string, label: m[2] as string };
}

/**
 * Substitutes Grafana's variables as Grafana does for an instant query over
 * the dashboard's time range: `$name` and `${name}` from `values`, and the
 * built-in interval variables.
 */
export function substitute(expr: string, values: Record<string, string>, range = '1h'): string {
  const all: Record<string, string> = { __range: range, __rate_interval: '1m', __interval: '15s', ...values };
  // Longest names first, so $__range is never taken for a prefix of $__range_s.
  const names = Object.keys(all).sort((a, b) => b.length - a.length);
  let out = expr;
  for (const name of names)
    out = out
      .split(`\${${name}}`)
      .join(all[name] as string)
      .split(`$${name}`)
      .join(all[name] as string);
  const left = /\$\{?\w+/.exec(out);
  if (left) throw new Error(`unsubstituted variable ${left[0]} in ${expr}`);
  return out;
}

/** Metric names in the selectors of an expression (`name{...}`). */
export function selectorMetricNames(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1] as string);
}

/** Every `{...}` matcher block of an expression. */
export function matcherBlocks(expr: string): string[] {
  return [...expr.matchAll(/[a-zA-Z0-9_:]\{([^}]*)\}/g)].map((m) => m[1] as string);
}

/** The data links of every panel's field overrides: the panel, the field and the URL template. */
export function dataLinks(dashboard: Dashboard): { panel: Panel; field: string; url: string }[] {
  const out: { panel: Panel; field: string; url: string }[] = [];
  for (const panel of allPanels(dashboard)) {
    for (const override of panel.fieldConfig?.overrides ?? []) {
      for (const property of override.properties) {
        if (property.id !== 'links') continue;
        for (const link of property.value as { url: string }[]) out.push({ panel, field: override.matcher.options, url: link.url });
      }
    }
  }
  return out;
}
