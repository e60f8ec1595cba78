"""Image reference validation and the SET-IMAGE patch."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from rollouts_widgets import errors
from rollouts_widgets.actions import plan as p
from rollouts_widgets.actions.images import ImageReference, parse_image
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.kube.resources import ARGO_ROLLOUTS, DEPLOYMENTS

NOW = datetime(2026, 12, 4, tzinfo=timezone.utc)
DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("image", "parsed"),
    [
        ("nginx", ImageReference("", "nginx")),
        ("repo/app:1.2", ImageReference("", "repo/app", "1.2")),
        ("library/my_app__x-y.z:v1_RC-2", ImageReference("", "library/my_app__x-y.z", "v1_RC-2")),
        ("localhost/app", ImageReference("localhost", "app")),
        ("localhost:5000/team/app:latest", ImageReference("localhost:5000", "team/app", "latest")),
        ("ghcr.io/org/app@" + DIGEST, ImageReference("ghcr.io", "org/app", "", DIGEST)),
        (
            "registry.example.com:443/a/b/c:2@" + DIGEST,
            ImageReference("registry.example.com:443", "a/b/c", "2", DIGEST),
        ),
    ],
)
def test_good_image_references(image, parsed):
    assert parse_image(image) == parsed
    assert str(parsed) == image


@pytest.mark.parametrize(
    ("image", "why"),
    [
        ("", "it is empty"),
        ("Repo/App:1", "bad path component 'Repo'"),
        ("app:", "a tag is"),
        ("app:-bad", "a tag is"),
        ("app:" + "x" * 129, "a tag is"),
        ("app@sha256:abc", "the digest must be"),
        ("app@md5:" + "0" * 64, "the digest must be"),
        ("app@" + DIGEST.upper(), "the digest must be"),
        ("a//b", "bad path component ''"),
        ("app:1 ; rm -rf /", "whitespace"),
        ("<script>alert(1)</script>", "bad path component"),
        ("-reg.io/app", "bad registry"),
        ("reg.io:99999999/app", "bad registry"),
        ("app_/x", "bad path component 'app_'"),
        ("x" * 600, "longer than 512"),
        ("a\x00b", "control"),
        ("reg.io/", "the repository path is empty"),
    ],
)
def test_bad_image_references(image, why):
    with pytest.raises(RolloutsError) as err:
        parse_image(image)
    assert err.value.code == errors.INVALID_INPUT
    assert why in err.value.message


def test_non_string_image_is_refused():
    with pytest.raises(RolloutsError) as err:
        parse_image(["nginx"])
    assert err.value.code == errors.INVALID_INPUT


def kruise_rollout():
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1",
        "kind": "Rollout",
        "metadata": {"namespace": "shop", "name": "checkout", "resourceVersion": "5"},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout-app"}
        },
    }


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"namespace": "shop", "name": "checkout-app", "resourceVersion": "77"},
    "spec": {
        "template": {
            "spec": {
                "initContainers": [{"name": "migrate", "image": "tools/migrate:1"}],
                "containers": [
                    {"name": "app", "image": "shop/app:1"},
                    {"name": "proxy", "image": "envoy:1"},
                ],
            }
        }
    },
}


def set_image(obj, related, **args):
    return p.plan("set-image", obj, related, now=NOW, args=args)


def test_set_image_patches_the_named_container_of_the_workload():
    [w] = set_image(kruise_rollout(), [DEPLOYMENT], container="proxy", image="envoy:2")
    assert (w.gvr, w.namespace, w.name, w.patch_type, w.subresource) == (
        DEPLOYMENTS,
        "shop",
        "checkout-app",
        "json",
        None,
    )
    assert w.body == [
        {"op": "replace", "path": "/metadata/resourceVersion", "value": "77"},
        {"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "envoy:2"},
    ]


def test_set_image_of_an_init_container():
    [w] = set_image(
        kruise_rollout(), [DEPLOYMENT], container="migrate", image="tools/m:2", init=True
    )
    assert w.body[1] == {
        "op": "replace",
        "path": "/spec/template/spec/initContainers/0/image",
        "value": "tools/m:2",
    }


def test_set_image_star_changes_every_container_that_differs():
    [w] = set_image(kruise_rollout(), [DEPLOYMENT], container="*", image="envoy:1")
    assert [op["path"] for op in w.body[1:]] == ["/spec/template/spec/containers/0/image"]


def test_set_image_to_the_same_image_writes_nothing():
    assert set_image(kruise_rollout(), [DEPLOYMENT], container="app", image="shop/app:1") == []


def test_missing_container_names_the_existing_ones():
    with pytest.raises(RolloutsError) as err:
        set_image(kruise_rollout(), [DEPLOYMENT], container="migrate", image="x:1")
    assert err.value.code == errors.NOT_FOUND
    assert err.value.message == (
        "container 'migrate' not found in the containers of Deployment shop/checkout-app; "
        "containers: app, proxy"
    )


def test_workload_is_resolved_by_api_version_and_kind_not_kind_alone():
    kruise_statefulset = dict(
        copy.deepcopy(DEPLOYMENT), apiVersion="apps.kruise.io/v1beta1", kind="StatefulSet"
    )
    obj = kruise_rollout()
    obj["spec"]["workloadRef"] = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": "checkout-app",
    }
    with pytest.raises(RolloutsError) as err:
        set_image(obj, [kruise_statefulset], container="app", image="x:1")
    assert err.value.code == errors.NOT_FOUND
    assert "StatefulSet shop/checkout-app not found" in err.value.message


@pytest.mark.parametrize("container", ["", "App", "a b", "<b>", None, "x" * 64])
def test_bad_container_names(container):
    with pytest.raises(RolloutsError) as err:
        set_image(kruise_rollout(), [DEPLOYMENT], container=container, image="x:1")
    assert err.value.code == errors.INVALID_INPUT


def test_bad_image_is_refused_before_anything_else():
    with pytest.raises(RolloutsError) as err:
        set_image(kruise_rollout(), [], container="app", image="UPPER/case")
    assert err.value.code == errors.INVALID_INPUT


def test_argo_native_rollout_patches_its_own_template():
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"namespace": "web", "name": "front", "resourceVersion": "12"},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "front:1"}]}}},
    }
    [w] = set_image(rollout, [], container="app", image="front:2")
    assert (w.gvr, w.name) == (ARGO_ROLLOUTS, "front")
    assert w.body[1]["value"] == "front:2"


def test_argo_workload_ref_patches_the_deployment():
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"namespace": "shop", "name": "front", "resourceVersion": "12"},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout-app"}
        },
    }
    [w] = set_image(rollout, [DEPLOYMENT], container="app", image="shop/app:9")
    assert (w.gvr, w.name, w.body[0]["value"]) == (DEPLOYMENTS, "checkout-app", "77")
