"""Simulated controllers (workloads, OpenKruise Rollouts, Argo Rollouts) for the sandbox."""
