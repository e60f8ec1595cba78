"""Kubernetes access: clients from kubeconfig, API discovery, dict-in dict-out resources."""
