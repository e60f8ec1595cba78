// The list's filter grammar: a port of rollouts_widgets/model/filters.py (its docstring is
// the specification). Both sides run tests/vectors/filters.json.

export interface Word {
  text: string; // plain word: the substring; label word: the value
  negated: boolean;
  key: string | null;
  exact: boolean;
}
export type Terms = Word[][]; // OR of terms, each an AND of words

/** The fields the filter reads (a Row has all of them). */
export interface FilterRow {
  key?: string;
  cluster?: string;
  namespace?: string;
  name?: string;
  workload_name?: string;
  images?: string[];
  labels?: Record<string, string>;
  status?: string;
  needs_attention?: boolean;
}

export interface FilterState {
  query: string;
  statuses: string[];
  needs_attention: boolean;
  favorites_only: boolean;
  favorites: string[];
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r", "\f", "\v", "\u00a0"]);
const STATUS_ALIASES: Record<string, string> = { degraded: "failed" };

class WordBuilder {
  chars: string[] = [];
  started = false;
  negated = false;
  colonAt = -1;
  valueQuoted = false;

  add(ch: string, quoted: boolean): void {
    if (!quoted && ch === "!" && !this.started) {
      this.negated = true;
    } else if (!quoted && ch === ":" && this.colonAt < 0 && this.chars.length) {
      this.colonAt = this.chars.length;
      this.chars.push(ch);
    } else {
      this.chars.push(ch);
    }
    this.started = true;
  }

  quote(): void {
    if (this.colonAt >= 0 && this.chars.length === this.colonAt + 1) this.valueQuoted = true;
    this.started = true;
  }

  build(): Word | null {
    const text = this.chars.join("");
    if (this.colonAt >= 0) {
      const key = this.chars.slice(0, this.colonAt).join("");
      const value = this.chars.slice(this.colonAt + 1).join("");
      return { text: value, negated: this.negated, key, exact: this.valueQuoted };
    }
    return text ? { text, negated: this.negated, key: null, exact: false } : null;
  }
}

const parseCache = new Map<string, Terms>();

/** The query's terms (OR'ed), each a list of words (AND'ed); empty terms dropped. */
export function parse(query: string): Terms {
  const cached = parseCache.get(query);
  if (cached) return cached;
  const terms: Terms = [];
  let words: Word[] = [];
  let builder = new WordBuilder();
  let inQuotes = false;
  const endWord = () => {
    const word = builder.build();
    if (word) words.push(word);
    builder = new WordBuilder();
  };
  const endTerm = () => {
    endWord();
    if (words.length) terms.push(words);
    words = [];
  };
  for (const ch of query.toLowerCase()) {
    if (ch === '"') {
      inQuotes = !inQuotes;
      builder.quote();
    } else if (inQuotes) builder.add(ch, true);
    else if (ch === ",") endTerm();
    else if (WHITESPACE.has(ch)) endWord();
    else builder.add(ch, false);
  }
  endTerm();
  if (parseCache.size > 256) parseCache.clear();
  parseCache.set(query, terms);
  return terms;
}

interface Lowered {
  plain: string[]; // name, namespace, cluster, workload name, images
  labels: [string, string][];
  status?: string;
}

// Lower-cased fields per row object, so a keystroke at 10,000 rows does not lower-case them
// all again. Rows are replaced, never mutated, so the cache cannot go stale.
const loweredCache = new WeakMap<object, Lowered>();

function lowered(row: FilterRow): Lowered {
  let entry = loweredCache.get(row);
  if (!entry) {
    const fields = [row.name, row.namespace, row.cluster, row.workload_name, ...(row.images ?? [])];
    entry = {
      plain: fields.map((f) => String(f ?? "").toLowerCase()),
      labels: Object.entries(row.labels ?? {}).map(([k, v]) => [
        String(k).toLowerCase(),
        String(v).toLowerCase(),
      ]),
    };
    loweredCache.set(row, entry);
  }
  return entry;
}

function wordMatches(word: Word, row: FilterRow): boolean {
  const { plain, labels } = lowered(row);
  let hit = false;
  if (word.key !== null) {
    hit = labels.some(([k, v]) => k === word.key && (word.exact ? v === word.text : v.includes(word.text)));
  } else {
    hit = plain.some((f) => f.includes(word.text));
  }
  return hit !== word.negated;
}

export function queryMatches(terms: Terms, row: FilterRow): boolean {
  if (!terms.length) return true;
  return terms.some((term) => term.every((w) => wordMatches(w, row)));
}

export function matchesRow(row: FilterRow, query: string): boolean {
  return queryMatches(parse(query), row);
}

export function normalStatus(status: string): string {
  const s = String(status).toLowerCase();
  return STATUS_ALIASES[s] ?? s;
}

function rowKey(row: FilterRow): string {
  return row.key || `${row.cluster ?? ""}/${row.namespace ?? ""}/${row.name ?? ""}`;
}

/** Which of the filters a row passes, as bits (the toggles' counts need them apart). */
export const QUERY = 1;
export const STATUS = 2;
export const ATTENTION = 4;
export const FAVORITE = 8;
export const ALL = QUERY | STATUS | ATTENTION | FAVORITE;

/** A function that judges rows against a filter state (query parsed once): a bit per filter. */
export function compile(state: FilterState): (row: FilterRow) => number {
  const terms = parse(state.query ?? "");
  const wanted = new Set(state.statuses.map(normalStatus));
  const favorites = new Set(state.favorites);
  return (row) =>
    (queryMatches(terms, row) ? QUERY : 0) |
    (wanted.size === 0 || wanted.has(rowStatus(row)) ? STATUS : 0) |
    (!state.needs_attention || row.needs_attention ? ATTENTION : 0) |
    (!state.favorites_only || favorites.has(rowKey(row)) ? FAVORITE : 0);
}

/** The row's status, lower-cased with aliases applied (cached per row object). */
export function rowStatus(row: FilterRow): string {
  const entry = lowered(row);
  if (entry.status === undefined) entry.status = normalStatus(row.status ?? "");
  return entry.status;
}

/** The rows that pass every filter, in their original order. */
export function filterRows<R extends FilterRow>(rows: R[], state: FilterState): R[] {
  const judge = compile(state);
  return rows.filter((r) => judge(r) === ALL);
}
