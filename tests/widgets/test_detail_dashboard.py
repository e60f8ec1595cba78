"""RolloutsDashboard: list + detail linked through ``selected``, the pickers, composition with
other ipywidgets, against the real sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ipywidgets
import pytest

import rollouts_widgets as rw
from rollouts_widgets.widgets.dashboard import ALL_CLUSTERS, ALL_NAMESPACES, RolloutsDashboard


def rollout(name: str, ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                 "strategy": {"canary": {"steps": [{"replicas": "100%"}]}}},
        "status": {"phase": "Healthy", "observedGeneration": 1},
    }


@pytest.fixture(scope="module")
def sandbox() -> Iterator[rw.Sandbox]:
    sb = rw.Sandbox(controllers=False).start()
    sb.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
              for n in ("shop", "web")])
    sb.apply([rollout("cart", "shop"), rollout("front", "web")])
    yield sb
    sb.stop()


@pytest.fixture
def cluster(sandbox):
    c = sandbox.connect()
    yield c
    c.close()


@pytest.fixture
def dash(cluster):
    d = RolloutsDashboard(cluster)
    yield d
    d.close()


def test_selection_links_list_detail_and_observers(dash):
    assert dash.list.wait_loaded(20)
    seen: list[str] = []
    label = ipywidgets.Label()
    dash.observe(lambda c: seen.append(c["new"]), names="selected")
    ipywidgets.dlink((dash, "selected"), (label, "value"))
    dash.list.selected = "sandbox/shop/cart"  # what a click in the table does
    assert dash.selected == "sandbox/shop/cart" == dash.detail.rollout
    assert seen == ["sandbox/shop/cart"] and label.value == "sandbox/shop/cart"
    dash.selected = "sandbox/web/front"  # from Python
    assert dash.list.selected == "sandbox/web/front" == dash.detail.rollout
    dash.selected = ""
    assert dash.list.selected == "" and dash.detail.rollout == ""
    assert dash.children[1].children == (dash.list, dash.detail)
    assert repr(dash) == "RolloutsDashboard(cluster='sandbox', namespace=None)"
    assert dash._repr_mimebundle_()["text/plain"] == repr(dash)


def test_namespace_picker_rebuilds_both_halves(dash):
    picker = dash._namespace_picker
    assert picker.options[0] == ALL_NAMESPACES and {"shop", "web"} <= set(picker.options)
    assert picker.value == ALL_NAMESPACES and dash.namespace is None
    dash.selected = "sandbox/shop/cart"
    old_list = dash.list
    picker.value = "web"
    assert dash.namespace == "web" and dash.list is not old_list
    assert dash.selected == "" and dash.detail.rollout == ""
    assert dash.list.wait_loaded(20)
    assert [v.name for v in dash.list.current_views()] == ["front"]
    dash.set_namespace(None)
    assert dash.namespace is None and picker.value == ALL_NAMESPACES


def test_cluster_picker_appears_with_several_clusters(sandbox):
    admin, viewer = sandbox.connect(), sandbox.connect(context="sandbox-viewer")
    dash = RolloutsDashboard([admin, viewer])
    try:
        picker = dash._cluster_picker
        assert picker.options == (ALL_CLUSTERS, "sandbox", "sandbox-viewer")
        assert picker.layout.display == ""
        assert dash.list.wait_loaded(20)
        assert {v.cluster for v in dash.list.current_views()} == {"sandbox", "sandbox-viewer"}
        picker.value = "sandbox-viewer"
        assert dash.cluster == "sandbox-viewer"
        assert dash.list.wait_loaded(20)
        assert {v.cluster for v in dash.list.current_views()} == {"sandbox-viewer"}
        dash.selected = "sandbox-viewer/web/front"
        assert dash.detail.rollout == "sandbox-viewer/web/front"
    finally:
        dash.close()
        admin.close()
        viewer.close()


def test_single_cluster_hides_the_cluster_picker_and_bad_input_is_refused(dash):
    assert dash._cluster_picker.layout.display == "none"
    with pytest.raises(rw.RolloutsError) as err:
        RolloutsDashboard("not a cluster")
    assert err.value.code == "INVALID_INPUT"
