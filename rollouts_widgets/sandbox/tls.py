"""A throw-away self-signed certificate for the sandbox's HTTPS listener.

kubectl (client-go) sends bearer tokens only over TLS, so the sandbox serves HTTPS with a
certificate for 127.0.0.1 made by the ``openssl`` command at start (a few milliseconds); the
kubeconfig carries it as the cluster's CA. Without ``openssl`` the sandbox falls back to
plain HTTP, where the Python client still authenticates but kubectl does not.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path


def openssl_available() -> bool:
    return shutil.which("openssl") is not None


def make_certificate(directory: str | Path) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` (P-256, 10 years, SAN 127.0.0.1 and localhost)."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650",
         "-subj", "/CN=rollouts-widgets-sandbox",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )
    key.chmod(0o600)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context
