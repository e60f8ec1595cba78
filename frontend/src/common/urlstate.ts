// Mirror a widget's filter state and selection in the page's query string (Voila, or
// sync_url=True), with history.replaceState, and read it back on load.

export interface UrlState {
  query: string;
  statuses: string[];
  needs_attention: boolean;
  favorites_only: boolean;
  sort: string;
  selected: string;
}

const PARAMS = {
  query: "q",
  statuses: "status",
  needs_attention: "attention",
  favorites_only: "favorites",
  sort: "sort",
  selected: "selected",
} as const;

/** The query string for `state`, keeping unrelated parameters already in `search`. */
export function toSearch(state: UrlState, search: string): string {
  const params = new URLSearchParams(search);
  const set = (name: string, value: string) =>
    value ? params.set(name, value) : params.delete(name);
  set(PARAMS.query, state.query);
  set(PARAMS.statuses, state.statuses.join(","));
  set(PARAMS.needs_attention, state.needs_attention ? "1" : "");
  set(PARAMS.favorites_only, state.favorites_only ? "1" : "");
  set(PARAMS.sort, state.sort);
  set(PARAMS.selected, state.selected);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The parts of the state present in `search` (absent parameters are left out). */
export function fromSearch(search: string): Partial<UrlState> {
  const params = new URLSearchParams(search);
  const out: Partial<UrlState> = {};
  const get = (name: string) => params.get(name);
  if (get(PARAMS.query) !== null) out.query = get(PARAMS.query)!;
  if (get(PARAMS.statuses) !== null) {
    out.statuses = get(PARAMS.statuses)!.split(",").filter(Boolean);
  }
  if (get(PARAMS.needs_attention) !== null) out.needs_attention = get(PARAMS.needs_attention) === "1";
  if (get(PARAMS.favorites_only) !== null) out.favorites_only = get(PARAMS.favorites_only) === "1";
  if (get(PARAMS.sort) !== null) out.sort = get(PARAMS.sort)!;
  if (get(PARAMS.selected) !== null) out.selected = get(PARAMS.selected)!;
  return out;
}

/** True on a Voila page (its templates mark the body with data-voila), where the widget
 * mirrors its state in the URL by default. JupyterLab pages are not marked. */
export function inVoila(): boolean {
  return document.body?.hasAttribute("data-voila") ?? false;
}
