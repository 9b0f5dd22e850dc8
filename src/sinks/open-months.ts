import { type ScopeRef, scopeLabel } from '../model/records.js';

/**
 * The months open now, as a sink sees them start and end. While more than
 * one is open (months run in parallel), lines from different months
 * interleave, so a stage's line names its month: `[2024-01/download]`.
 */
export class OpenMonths {
  #open = 0;

  started(scope: Pick<ScopeRef, 'kind'>): void {
    if (scope.kind === 'month') this.#open++;
  }

  ended(scope: Pick<ScopeRef, 'kind'>): void {
    if (scope.kind === 'month' && this.#open > 0) this.#open--;
  }

  /** True while lines need their month to be told apart. */
  get several(): boolean {
    return this.#open > 1;
  }

  /** The `[stage]` field of a scope's line; `name` overrides the stage name (a `logProgress` stage label). */
  label(scope: Pick<ScopeRef, 'kind' | 'name' | 'month'>, name?: string): string {
    const base = name ?? scopeLabel(scope);
    const ofStage = scope.kind === 'stage' || name !== undefined;
    return this.#open > 1 && ofStage && scope.month !== undefined ? `${scope.month}/${base}` : base;
  }
}
