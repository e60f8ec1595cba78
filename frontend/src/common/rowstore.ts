// The browser's copy of the rows: replaced by a snapshot, then kept current by patches.
// Remembers when each row last changed so the table can flash it.

import type { Row } from "./row";

export type Listener = (changed: ReadonlySet<string>) => void;

export class RowStore {
  private rows = new Map<string, Row>();
  private changed = new Map<string, number>(); // key -> time of last change (ms)
  private listeners = new Set<Listener>();
  /** Bumped on every snapshot or patch; views use it to skip needless work. */
  version = 0;
  /** False until the first snapshot arrives (the view shows "Loading"). */
  loaded = false;

  constructor(private clock: () => number = () => Date.now()) {}

  get size(): number {
    return this.rows.size;
  }

  get(key: string): Row | undefined {
    return this.rows.get(key);
  }

  all(): Row[] {
    return Array.from(this.rows.values());
  }

  /** When the row last changed by a patch (ms), or undefined if it has not changed since load. */
  changedAt(key: string): number | undefined {
    return this.changed.get(key);
  }

  /** Replace everything (a snapshot is not a change: nothing flashes). */
  replace(rows: Row[]): void {
    this.rows = new Map(rows.map((r) => [r.key, r]));
    this.changed.clear();
    this.loaded = true;
    this.version++;
    this.emit(new Set(this.rows.keys()));
  }

  /** Apply upserts then deletes; returns the keys that changed. `flash` = false for rows of
   * the first listing, which arrive as patches when the view was faster than the store. */
  patch(upserts: Row[], deletes: string[], flash = true): ReadonlySet<string> {
    const now = this.clock();
    const keys = new Set<string>();
    for (const row of upserts) {
      this.rows.set(row.key, row);
      if (flash) this.changed.set(row.key, now);
      keys.add(row.key);
    }
    for (const key of deletes) {
      if (this.rows.delete(key)) keys.add(key);
      this.changed.delete(key);
    }
    if (keys.size) {
      this.version++;
      this.emit(keys);
    }
    return keys;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(keys: ReadonlySet<string>): void {
    for (const listener of this.listeners) listener(keys);
  }
}
