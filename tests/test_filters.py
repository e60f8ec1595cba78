"""The filter grammar: the shared vectors (also run by the front end) and direct view cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rollouts_widgets as rw
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.model.filters import Word, filter_rows, matches_row, parse
from rollouts_widgets.model.view import RolloutView

VECTORS = json.loads((Path(__file__).parent / "vectors" / "filters.json").read_text("utf-8"))


def test_vectors_are_rich():
    queries = [c["query"] for c in VECTORS["cases"]]
    assert len(queries) >= 40
    assert len(set(queries)) > 60  # filter-only cases may share a query


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["note"])
def test_vector(case):
    kept = filter_rows(
        VECTORS["rows"],
        query=case["query"],
        statuses=case["statuses"],
        needs_attention=case["needs_attention"],
        favorites_only=case["favorites_only"],
        favorites=case["favorites"],
    )
    assert [row["key"] for row in kept] == case["expected"]


def _view(name="checkout", **kw) -> RolloutView:
    base = dict(
        cluster="prod", namespace="shop", name=name, provider="argo",
        api_version="argoproj.io/v1alpha1", strategy="Canary", status="Healthy",
        native_phase="Healthy", message="",
    )
    base.update(kw)
    return RolloutView(**base)


def test_matches_view_fields():
    view = _view(
        images=("repo/app:1.2",), labels={"team": "Payments Core"}, workload_name="checkout-wl"
    )
    assert rw.model.matches(view, "")
    assert rw.model.matches(view, "CHECKOUT-wl")
    assert rw.model.matches(view, '"app:1.2"')
    assert rw.model.matches(view, 'team:"payments core"')
    assert not rw.model.matches(view, "team:core !shop")
    assert rw.model.matches(view, "nothing, prod")
    # the view and its to_row() agree
    assert matches_row(view.to_row(), 'team:"payments core"') is True


def test_filter_views_combines_filters_and_keeps_order():
    a = _view("a", status="Failed", needs_attention=True)
    b = _view("b", status="Healthy")
    c = _view("c", status="Paused", needs_attention=True)
    views = [c, b, a]
    assert rw.model.filter_views(views) == [c, b, a]
    assert rw.model.filter_views(views, statuses=["Degraded", "paused"]) == [c, a]
    assert rw.model.filter_views(views, needs_attention=True, query="!c") == [a]
    assert rw.model.filter_views(
        views, favorites_only=True, favorites=["prod/shop/b", "prod/shop/a"]
    ) == [b, a]


def test_bad_input_is_a_clear_error():
    with pytest.raises(RolloutsError) as err:
        rw.model.filter_views([_view()], statuses=["Sleeping"])
    assert err.value.code == "INVALID_INPUT"
    assert "Sleeping" in err.value.message
    with pytest.raises(RolloutsError) as err:
        rw.model.matches(_view(), 42)
    assert err.value.code == "INVALID_INPUT"
    assert rw.model.matches(_view(), None) is True


def test_parse_shape():
    assert parse('a !b:"x, y", c:') == (
        (Word("a"), Word("x, y", negated=True, key="b", exact=True)),
        (Word("", key="c"),),
    )


def test_huge_hostile_query_is_linear_text():
    query = '<script>"' * 20000 + ",!" * 20000
    assert matches_row({"name": "x"}, query) is False
