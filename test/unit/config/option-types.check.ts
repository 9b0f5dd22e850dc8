// Compile-time checks, run by `npm run typecheck` (not a test file: nothing to run).
// The table in src/config/option-table.ts and StagetraceOptions must list the same
// options accepting the same types; the lines under @ts-expect-error prove the
// check catches each kind of drift.
import type { ExpectNone, MismatchedOptions, OptionRows } from '../../../src/config/option-table.js';
import type { StagetraceOptions } from '../../../src/index.js';

type WithExtraField = StagetraceOptions & { memory?: { extraMb?: number } };
type WithOtherType = Omit<StagetraceOptions, 'maxFiles'> & { maxFiles?: string };
type WithoutRow = Exclude<OptionRows, { name: 'console' }>;

export type Agrees = ExpectNone<MismatchedOptions<OptionRows, StagetraceOptions>>;
// @ts-expect-error a field in the type without a row in the table
export type CatchesExtraField = ExpectNone<MismatchedOptions<OptionRows, WithExtraField>>;
// @ts-expect-error a field whose type differs from what its row accepts
export type CatchesOtherType = ExpectNone<MismatchedOptions<OptionRows, WithOtherType>>;
// @ts-expect-error a field whose row is missing
export type CatchesMissingRow = ExpectNone<MismatchedOptions<WithoutRow, StagetraceOptions>>;
