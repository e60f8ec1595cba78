// The same vectors as tests/vectors/filters.json's Python run.
import { describe, expect, it } from "vitest";
import vectors from "../../tests/vectors/filters.json";
import { filterRows, matchesRow, parse } from "../src/common/filters";

interface Case {
  note: string;
  query: string;
  statuses: string[];
  needs_attention: boolean;
  favorites_only: boolean;
  favorites: string[];
  expected: string[];
}

const rows = vectors.rows as any[];
const cases = vectors.cases as Case[];

describe("filter vectors (tests/vectors/filters.json)", () => {
  it("has cases", () => {
    expect(cases.length).toBeGreaterThan(50);
  });
  it.each(cases.map((c) => [c.note, c] as const))("%s", (_note, c) => {
    const got = filterRows(rows, c).map((r) => r.key);
    expect(got).toEqual(c.expected);
  });
});

describe("parse", () => {
  it("splits terms and words and reads labels", () => {
    expect(parse('a !b:"x y", c')).toEqual([
      [
        { text: "a", negated: false, key: null, exact: false },
        { text: "x y", negated: true, key: "b", exact: true },
      ],
      [{ text: "c", negated: false, key: null, exact: false }],
    ]);
  });
  it("matchesRow treats markup as text", () => {
    const row = { name: "<img src=x onerror=alert(1)>", images: [], labels: {} };
    expect(matchesRow(row, '"<img src=x"')).toBe(true);
    expect(matchesRow(row, "script")).toBe(false);
  });
});
