"""The three patch formats, including the strategic-merge directives kubectl apply sends."""

from __future__ import annotations

import pytest

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox.patch import apply_patch, json_patch, merge_patch, strategic_merge

POD_SPEC = {"containers": [
    {"name": "app", "image": "a:1", "env": [{"name": "X", "value": "1"}],
     "ports": [{"containerPort": 80}, {"containerPort": 81}]},
    {"name": "side", "image": "s:1"}],
    "volumes": [{"name": "v1"}, {"name": "v2"}],
    "args": ["--a", "--b"]}


def test_merge_patch_rfc7386():
    target = {"a": {"b": 1, "c": [1, 2]}, "d": "x"}
    assert merge_patch(target, {"a": {"b": None, "c": [3]}, "e": {"f": 1}}) == {
        "a": {"c": [3]}, "d": "x", "e": {"f": 1}}
    assert target == {"a": {"b": 1, "c": [1, 2]}, "d": "x"}  # not modified
    assert merge_patch(target, {"a": "scalar"})["a"] == "scalar"


def test_json_patch_operations():
    doc = {"spec": {"steps": [{"w": 1}, {"w": 2}], "n": 1}}
    result = json_patch(doc, [
        {"op": "add", "path": "/spec/steps/1", "value": {"w": 9}},
        {"op": "add", "path": "/spec/steps/-", "value": {"w": 3}},
        {"op": "remove", "path": "/spec/steps/0"},
        {"op": "replace", "path": "/spec/n", "value": 5},
        {"op": "copy", "from": "/spec/n", "path": "/spec/m"},
        {"op": "move", "from": "/spec/m", "path": "/spec/a~1b"},
        {"op": "test", "path": "/spec/a~1b", "value": 5},
    ])
    assert result == {"spec": {"steps": [{"w": 9}, {"w": 2}, {"w": 3}], "n": 5, "a/b": 5}}
    assert doc == {"spec": {"steps": [{"w": 1}, {"w": 2}], "n": 1}}


@pytest.mark.parametrize(("ops", "code"), [
    ([{"op": "remove", "path": "/nope"}], 422),
    ([{"op": "replace", "path": "/spec/steps/7", "value": 1}], 422),
    ([{"op": "test", "path": "/spec/n", "value": 2}], 422),
    ([{"op": "add", "path": "no-slash", "value": 1}], 400),
    ([{"op": "frobnicate", "path": "/spec"}], 400),
    ([{"path": "/spec"}], 400),
    ({"op": "add"}, 400),
])
def test_json_patch_errors(ops, code):
    with pytest.raises(RolloutsError) as info:
        json_patch({"spec": {"steps": [], "n": 1}}, ops)
    assert info.value.code == errors.INVALID_INPUT and info.value.status["code"] == code


def test_strategic_merge_merges_lists_by_key():
    result = strategic_merge(POD_SPEC, {
        "containers": [{"name": "app", "image": "a:2", "env": [{"name": "Y", "value": "2"}],
                        "ports": [{"containerPort": 81, "protocol": "UDP"}]},
                       {"name": "new", "image": "n:1"}],
        "args": ["--c"]})
    app, side, new = result["containers"]
    assert app["image"] == "a:2"
    assert app["env"] == [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]
    assert app["ports"] == [{"containerPort": 80}, {"containerPort": 81, "protocol": "UDP"}]
    assert side == {"name": "side", "image": "s:1"} and new["name"] == "new"
    assert result["args"] == ["--c"]  # primitive lists are replaced


def test_strategic_merge_directives():
    result = strategic_merge(POD_SPEC, {
        "containers": [{"name": "side", "$patch": "delete"}],
        "volumes": [{"name": "v3"}, {"$patch": "replace"}],
        "$setElementOrder/containers": [{"name": "app"}],
        "$deleteFromPrimitiveList/args": ["--a"]})
    assert [c["name"] for c in result["containers"]] == ["app"]
    assert result["volumes"] == [{"name": "v3"}]
    assert result["args"] == ["--b"]
    ordered = strategic_merge(POD_SPEC, {"$setElementOrder/containers": [
        {"name": "side"}, {"name": "app"}]})
    assert [c["name"] for c in ordered["containers"]] == ["side", "app"]
    retained = strategic_merge({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
                               {"type": "Recreate", "$retainKeys": ["type"],
                                "rollingUpdate": None})
    assert retained == {"type": "Recreate"}
    replaced = strategic_merge({"a": {"b": 1, "c": 2}}, {"a": {"$patch": "replace", "d": 3}})
    assert replaced == {"a": {"d": 3}}


def test_apply_patch_refuses_wrong_shapes():
    for patch_type, patch in (("merge", [1]), ("strategic", "x"), ("other", {})):
        with pytest.raises(RolloutsError) as info:
            apply_patch({"a": 1}, patch, patch_type)
        assert info.value.status["code"] == 400
    with pytest.raises(RolloutsError) as info:
        apply_patch({"a": 1}, [{"op": "replace", "path": "", "value": [1]}], "json")
    assert info.value.status["code"] == 422
