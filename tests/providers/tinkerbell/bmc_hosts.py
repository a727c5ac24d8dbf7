"""Hosts for Tinkerbell provider tests: sushy-emulator BMCs on 127.0.0.x, all on one port
(the provider reaches them through ``EKSA_TINKERBELL_REDFISH_URL=http://{ip}:<port>``),
and a hardware CSV naming them, with a BMC password generated per run."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eksa_temporal.providers.tinkerbell.hardware import csv_sha256
from eksa_temporal.providers.tinkerbell.preflight import REDFISH_URL_ENV
from eksa_temporal.spec.clusterspec import ClusterSpec, HardwareCsvRef
from tests.providers.tinkerbell.test_hardware import HEADER, tinkerbell_spec
from tests.providers.tinkerbell_bmc.emulator import (
    Emulator,
    emulators,
    fake_system,
    free_port,
    write_htpasswd,
)

USER = "admin"


@dataclass
class BmcHosts:
    """Running BMCs and what the provider needs to reach them."""

    bmcs: list[Emulator]
    password: str
    port: int
    workdir: Path

    @property
    def env(self) -> dict[str, str]:
        return {REDFISH_URL_ENV: f"http://{{ip}}:{self.port}"}

    def rows(self, labels: list[str], password: str | None = None) -> list[str]:
        """One CSV row per BMC (``labels[i]`` for host i), hosts ``host-<i>`` on 10.0.0.x."""
        out = []
        for i, (em, label) in enumerate(zip(self.bmcs, labels, strict=False)):
            secret = self.password if password is None else password
            out.append(
                f"host-{i},{em.ip},{USER},{secret},00:00:5e:00:54:{i:02x},10.0.0.{i + 21},"
                f"255.255.255.0,10.0.0.254,8.8.8.8,{label},/dev/sda,"
            )
        return out

    def csv(self, rows: list[str], name: str = "hardware.csv") -> HardwareCsvRef:
        path = self.workdir / name
        path.write_text("\n".join([HEADER, *rows]) + "\n")
        return HardwareCsvRef(path=str(path), sha256=csv_sha256(path))


def spec_with(ref: HardwareCsvRef | None, mutate: Any = None) -> ClusterSpec:
    """The generated tinkerbell spec (1 control plane ``type=cp``, 1 worker ``type=worker``)
    with the hardware CSV ``ref``."""
    return tinkerbell_spec(mutate).model_copy(update={"hardware_csv": ref})


@contextlib.contextmanager
def bmc_hosts(workdir: Path, count: int, power: str = "On", first: int = 2) -> Iterator[BmcHosts]:
    """``count`` BMCs, one fake system each, on 127.0.0.<first> up."""
    password = secrets.token_urlsafe(12)
    workdir.mkdir(parents=True, exist_ok=True)
    htpasswd = workdir / "htpasswd"
    write_htpasswd(htpasswd, USER, password)
    port = free_port(f"127.0.0.{first}")
    systems = [
        [fake_system(f"00000000-0000-0000-0000-{i:012d}", f"host-{i}", power)] for i in range(count)
    ]
    with emulators(workdir, systems, htpasswd, port=port, first=first) as started:
        yield BmcHosts(started, password, port, workdir)
