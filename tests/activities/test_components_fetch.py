"""Component manifests as clusterctl obtains them: downloaded once into a cache and verified
against the pinned sha256 or, for an unpinned file, against the checksum recorded on its
first download (a mismatch is permanent), or read from a local repository folder.
The download path is exercised against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from eksa_temporal.activities.capi_install import CapiInstaller
from eksa_temporal.activities.models import InstallCapiProgress
from eksa_temporal.providers.capi.fetch import (
    ComponentError,
    fetch_file,
    provider_manifests,
    recorded_sha256,
    sha256_hex,
    substitute,
)
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE, ComponentFile, ProviderRelease

MANIFEST = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: capx-system\n"


class Files:
    def __init__(self) -> None:
        self.hits: list[str] = []
        self.body = MANIFEST


@pytest.fixture
def http_server() -> Iterator[tuple[str, Files]]:
    files = Files()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            files.hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(files.body)))
            self.end_headers()
            self.wfile.write(files.body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", files
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def test_download_is_verified_and_cached(http_server: tuple[str, Files], tmp_path: Path) -> None:
    url, files = http_server
    ref = ComponentFile(url=f"{url}/infrastructure-components.yaml", sha256=sha256_hex(MANIFEST))
    assert fetch_file(ref, tmp_path) == MANIFEST
    assert fetch_file(ref, tmp_path) == MANIFEST
    assert len(files.hits) == 1  # the second read came from the cache
    assert (tmp_path / "sha256" / ref.sha256).read_bytes() == MANIFEST


def test_sha256_mismatch_is_refused_and_not_cached(
    http_server: tuple[str, Files], tmp_path: Path
) -> None:
    url, _ = http_server
    ref = ComponentFile(url=f"{url}/c.yaml", sha256="0" * 64)
    with pytest.raises(ComponentError, match="sha256 mismatch"):
        fetch_file(ref, tmp_path)
    assert not (tmp_path / "sha256" / ref.sha256).exists()


def test_an_unpinned_download_is_recorded_then_reverified(
    http_server: tuple[str, Files], tmp_path: Path
) -> None:
    url, files = http_server
    ref = ComponentFile(url=f"{url}/c.yaml")
    assert fetch_file(ref, tmp_path) == MANIFEST
    assert recorded_sha256(tmp_path, ref.url) == sha256_hex(MANIFEST)
    assert fetch_file(ref, tmp_path) == MANIFEST and len(files.hits) == 1  # from the cache
    # a damaged cache entry is not used: fetched again and checked against the record
    (tmp_path / "sha256" / sha256_hex(MANIFEST)).write_bytes(b"tampered")
    assert fetch_file(ref, tmp_path) == MANIFEST and len(files.hits) == 2
    # the published file changed since its first download: refused, not silently replaced
    (tmp_path / "sha256" / sha256_hex(MANIFEST)).unlink()
    files.body = MANIFEST + b"# changed\n"
    with pytest.raises(ComponentError, match="first download recorded"):
        fetch_file(ref, tmp_path)


def test_the_checksums_of_what_was_read_are_shown(
    http_server: tuple[str, Files], tmp_path: Path
) -> None:
    url, _ = http_server
    release = ProviderRelease(
        name="infrastructure-x", type="InfrastructureProvider", version="v1.0.0",
        namespace="capx-system", files=[ComponentFile(url=f"{url}/infrastructure-components.yaml")],
    )
    fetched = provider_manifests(release, cache_dir=tmp_path)
    assert fetched.origin == "release"
    assert fetched.checksums == [f"infrastructure-components.yaml sha256:{sha256_hex(MANIFEST)}"]


def test_install_turns_a_checksum_mismatch_into_a_non_retryable_error(
    http_server: tuple[str, Files], tmp_path: Path
) -> None:
    url, _ = http_server
    release = ProviderRelease(
        name="infrastructure-x",
        type="InfrastructureProvider",
        version="v1.0.0",
        namespace="capx-system",
        files=[ComponentFile(url=f"{url}/c.yaml", sha256="f" * 64)],
    )
    installer = CapiInstaller(
        kube=None,  # type: ignore[arg-type]  # read before any API call
        cache_dir=tmp_path,
        components_dir=None,
        deployment_wait_seconds=1,
        progress=InstallCapiProgress(),
    )
    with pytest.raises(ApplicationError) as info:
        installer.install(release)
    assert info.value.non_retryable
    assert info.value.type == "InvalidComponents"


def test_a_components_folder_replaces_the_release_for_that_provider(tmp_path: Path) -> None:
    core = next(p for p in DEFAULT_RELEASE.providers if p.name == "cluster-api")
    folder = tmp_path / "cluster-api" / core.version
    folder.mkdir(parents=True)
    (folder / "core-components.yaml").write_bytes(MANIFEST)
    (folder / "metadata.yaml").write_text("apiVersion: clusterctl.cluster.x-k8s.io/v1alpha3\nkind: Metadata\n")
    fetched = provider_manifests(core, cache_dir=tmp_path / "cache", components_dir=tmp_path)
    assert fetched.origin == str(folder)
    # metadata.yaml is clusterctl's version metadata, not a manifest
    assert [d["metadata"]["name"] for d in fetched.docs] == ["capx-system"]


def test_the_embedded_release_needs_no_network(tmp_path: Path) -> None:
    for release in DEFAULT_RELEASE.plan("sim"):
        fetched = provider_manifests(release, cache_dir=tmp_path, embedded=True)
        assert fetched.origin in ("embedded", "release")  # sim's own provider: package data
        assert all(f.url.startswith("package://") for f in release.embedded or release.files)
        assert any(d["kind"] == "Deployment" for d in fetched.docs), release.name
    assert [p.type for p in DEFAULT_RELEASE.plan("sim")] == [
        "CertManager",
        "CoreProvider",
        "BootstrapProvider",
        "ControlPlaneProvider",
        "InfrastructureProvider",
    ]


def test_variables_are_substituted_like_clusterctl() -> None:
    text = "a: ${A}\nb: ${B:=two}\nc: ${C=three}\nd: ${D}\n"
    assert substitute(text, {"A": "one", "D": "4"}) == "a: one\nb: two\nc: three\nd: 4\n"
    # ``=`` without colon keeps a value that is set but empty; ``:=`` replaces it
    assert substitute("${C=three}${B:=two}", {"C": "", "B": ""}) == "two"
    # every variable without value or default is named in one error
    with pytest.raises(ComponentError, match=r"without value or default: A, D \(fix:"):
        substitute(text, {})
