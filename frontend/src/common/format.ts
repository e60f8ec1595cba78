// Small display helpers shared by the widgets (pure; no DOM).

/** "5s", "3m", "2h", "4d" from a duration in milliseconds (negative durations read "0s"). */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs}h`;
  return `${Math.floor(hrs / 24)}d`;
}

/** Time since an ISO-8601 timestamp, or "" when there is none or it does not parse. */
export function since(iso: string | null | undefined, now: number): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  return Number.isNaN(t) ? "" : shortDuration(now - t);
}

/** "a/b" where either side may be unknown ("-"). */
export function ratio(a: number | null | undefined, b: number | null | undefined): string {
  const show = (v: number | null | undefined) => (v === null || v === undefined ? "-" : String(v));
  return `${show(a)}/${show(b)}`;
}

/** Weight column: "set% / actual%", or one value when they agree, or "" when neither is known. */
export function weight(set: number | null | undefined, actual: number | null | undefined): string {
  const has = (v: number | null | undefined): v is number => v !== null && v !== undefined;
  if (!has(set) && !has(actual)) return "";
  if (has(set) && has(actual) && set === actual) return `${set}%`;
  return `${has(set) ? `${set}%` : "-"} / ${has(actual) ? `${actual}%` : "-"}`;
}
