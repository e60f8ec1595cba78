"""The filter grammar of the rollout list, shared with the front end.

This docstring is the specification; ``frontend`` ports exactly the same logic to TypeScript and
both run ``tests/vectors/filters.json``.

Query (the search box)
----------------------
1. Case-insensitive: the query and every field are lower-cased first (Python ``str.lower``,
   JavaScript ``toLowerCase``).
2. The query is read left to right, one character at a time. A double quote ``"`` toggles
   "inside quotes" and is itself dropped; an unterminated quote runs to the end of the query.
   Outside quotes, ``,`` ends the current *term* and whitespace (space, tab, CR, LF, FF, VT,
   U+00A0) ends the current *word*. Inside quotes both are ordinary characters.
3. Each word is then read as:
   - a leading ``!`` outside quotes negates the word (only the first ``!``; ``"!x"`` is the
     plain text ``!x``);
   - ``key:value`` when the word has a ``:`` outside quotes with a non-empty key before it (the
     first such colon): it matches a label whose key equals ``key``. The value matches as a
     substring of the label value, or exactly when the value starts with a quote
     (``team:"a, b"``). ``key:`` (empty value) means "has the label ``key``";
   - otherwise a *plain word*: a substring of the name, namespace, cluster, workload name or
     any image. A colon inside quotes is plain text, so ``"app:1.2"`` searches images.
   - A word whose text is empty (``!``, ``""``) is dropped.
4. Words in a term are AND'ed, terms are OR'ed. Terms without words (``a,,b``, a trailing
   comma) are dropped; a query with no terms left matches every row.

Other filters (``filter_rows`` / ``filter_views``), combined with AND with the query
-----------------------------------------------------------------------------------
- ``statuses``: the row's status is one of them (case-insensitive; ``Degraded`` means
  ``Failed``, in the selection and in a row); empty = any status. An unknown status name is
  INVALID_INPUT in Python (the browser only offers the known ones).
- ``needs_attention``: only rows needing attention.
- ``favorites_only``: only rows whose key ``cluster/namespace/name`` is in ``favorites``.

Rows are the dicts of ``RolloutView.to_row()``; the filter reads ``key`` (or cluster, namespace
and name), ``name``, ``namespace``, ``cluster``, ``workload_name``, ``images``, ``labels``,
``status`` and ``needs_attention``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rollouts_widgets.errors import INVALID_INPUT, RolloutsError
from rollouts_widgets.model.view import STATUSES, RolloutView

WHITESPACE = frozenset(" \t\n\r\f\v\u00a0")
STATUS_ALIASES = {"degraded": "failed"}


@dataclass(frozen=True)
class Word:
    """One parsed word: a plain substring, or a label test when ``key`` is set."""

    text: str  # plain word: the substring; label word: the value
    negated: bool = False
    key: str | None = None
    exact: bool = False


# -- tokenizer --------------------------------------------------------------------------------


class _WordBuilder:
    """Collects the characters of one raw word and notes where quotes and the colon were."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.started = False  # a word may be just "" (quotes only)
        self.negated = False
        self.colon_at = -1  # index in chars of the first colon outside quotes
        self.value_quoted = False  # a quote came right after that colon

    def add(self, ch: str, quoted: bool) -> None:
        if not quoted and ch == "!" and not self.started:
            self.negated = True
        elif not quoted and ch == ":" and self.colon_at < 0 and self.chars:
            self.colon_at = len(self.chars)
            self.chars.append(ch)
        else:
            self.chars.append(ch)
        self.started = True

    def quote(self) -> None:
        if self.colon_at >= 0 and len(self.chars) == self.colon_at + 1:
            self.value_quoted = True
        self.started = True

    def build(self) -> Word | None:
        text = "".join(self.chars)
        if self.colon_at >= 0:
            key, value = text[: self.colon_at], text[self.colon_at + 1 :]
            return Word(value, self.negated, key, self.value_quoted)
        return Word(text, self.negated) if text else None


@lru_cache(maxsize=256)
def parse(query: str) -> tuple[tuple[Word, ...], ...]:
    """The query's terms (OR'ed), each a tuple of words (AND'ed); empty terms dropped."""
    terms: list[tuple[Word, ...]] = []
    words: list[Word] = []
    builder = _WordBuilder()
    in_quotes = False

    def end_word() -> None:
        nonlocal builder
        word = builder.build()
        if word is not None:
            words.append(word)
        builder = _WordBuilder()

    def end_term() -> None:
        nonlocal words
        end_word()
        if words:
            terms.append(tuple(words))
        words = []

    for ch in query.lower():
        if ch == '"':
            in_quotes = not in_quotes
            builder.quote()
        elif in_quotes:
            builder.add(ch, quoted=True)
        elif ch == ",":
            end_term()
        elif ch in WHITESPACE:
            end_word()
        else:
            builder.add(ch, quoted=False)
    end_term()
    return tuple(terms)


# -- matching ---------------------------------------------------------------------------------


def _word_matches(word: Word, row: Mapping[str, Any]) -> bool:
    if word.key is not None:
        values = [
            str(value).lower()
            for key, value in (row.get("labels") or {}).items()
            if str(key).lower() == word.key
        ]
        hit = any(v == word.text if word.exact else word.text in v for v in values)
    else:
        fields = [row.get(f) or "" for f in ("name", "namespace", "cluster", "workload_name")]
        fields.extend(row.get("images") or ())
        hit = any(word.text in str(field).lower() for field in fields)
    return hit != word.negated


def _query_matches(terms: tuple[tuple[Word, ...], ...], row: Mapping[str, Any]) -> bool:
    if not terms:
        return True
    return any(all(_word_matches(w, row) for w in term) for term in terms)


def _checked_query(query: Any) -> str:
    if query is None:
        return ""
    if not isinstance(query, str):
        raise RolloutsError(INVALID_INPUT, f"filter query must be text, not {type(query).__name__}")
    return query


def matches_row(row: Mapping[str, Any], query: str) -> bool:
    """Whether a row dict (``RolloutView.to_row()`` shape) matches the search query."""
    return _query_matches(parse(_checked_query(query)), row)


def _filter_fields(view: RolloutView) -> dict[str, Any]:
    """The few fields the filter reads, without building a whole ``to_row()``."""
    return {
        "key": view.key,
        "cluster": view.cluster,
        "namespace": view.namespace,
        "name": view.name,
        "workload_name": view.workload_name,
        "images": view.images,
        "labels": view.labels,
        "status": view.status,
        "needs_attention": view.needs_attention,
    }


def matches(view: RolloutView, query: str) -> bool:
    """Whether a rollout view matches the search query (see the module docstring)."""
    return matches_row(_filter_fields(view), query)


def _status_set(statuses: Iterable[str]) -> frozenset[str]:
    if isinstance(statuses, str):
        statuses = [statuses]
    known = {s.lower() for s in STATUSES}
    wanted = set()
    for status in statuses:
        name = str(status).lower()
        name = STATUS_ALIASES.get(name, name)
        if name not in known:
            raise RolloutsError(
                INVALID_INPUT,
                f"unknown status {status!r}; expected one of {', '.join(STATUSES)} or Degraded",
            )
        wanted.add(name)
    return frozenset(wanted)


def _row_key(row: Mapping[str, Any]) -> str:
    key = row.get("key")
    if key:
        return str(key)
    return f"{row.get('cluster', '')}/{row.get('namespace', '')}/{row.get('name', '')}"


def _compile(
    query: str,
    statuses: Iterable[str],
    needs_attention: bool,
    favorites_only: bool,
    favorites: Iterable[str],
) -> Callable[[Mapping[str, Any]], bool]:
    """One predicate for all filters, with the query parsed and the statuses checked once."""
    terms = parse(_checked_query(query))
    wanted = _status_set(statuses)
    favorite_keys = frozenset(favorites) if favorites_only else frozenset()

    def passes(row: Mapping[str, Any]) -> bool:
        if wanted:
            status = str(row.get("status", "")).lower()
            if STATUS_ALIASES.get(status, status) not in wanted:
                return False
        if needs_attention and not row.get("needs_attention"):
            return False
        if favorites_only and _row_key(row) not in favorite_keys:
            return False
        return _query_matches(terms, row)

    return passes


def filter_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    query: str = "",
    statuses: Iterable[str] = (),
    needs_attention: bool = False,
    favorites_only: bool = False,
    favorites: Iterable[str] = (),
) -> list[Mapping[str, Any]]:
    """The rows that pass every filter (query, statuses, needs attention, favourites)."""
    passes = _compile(query, statuses, needs_attention, favorites_only, favorites)
    return [row for row in rows if passes(row)]


def filter_views(
    views: Iterable[RolloutView],
    *,
    query: str = "",
    statuses: Iterable[str] = (),
    needs_attention: bool = False,
    favorites_only: bool = False,
    favorites: Iterable[str] = (),
) -> list[RolloutView]:
    """The views that pass every filter; same rules as ``filter_rows``."""
    passes = _compile(query, statuses, needs_attention, favorites_only, favorites)
    return [view for view in views if passes(_filter_fields(view))]
