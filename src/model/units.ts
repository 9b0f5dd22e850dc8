/** The files' and log lines' "MB" is the binary megabyte (MiB). */
export const BYTES_PER_MB = 1024 * 1024;

/** Megabytes with one decimal, as the audit files and log lines write them. */
export function toMb(bytes: number): number {
  return Math.round((bytes / BYTES_PER_MB) * 10) / 10;
}
