"""Validated write operations with each provider's exact patches (see reference/*.md)."""

from __future__ import annotations


class ClusterActions:
    """Mixin that gives ``Cluster`` its action methods (promote, pause, ... rollback)."""
