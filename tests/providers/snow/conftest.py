"""Two emulated Snow devices (127.0.15.2 and 127.0.15.3 - 127.0.16.x on a second xdist worker: moto's EC2 on :8243, our device API
on :9092, a CA made for this run), shared by the tests of this folder and stopped at the end of the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.providers.snow.emulator import SnowDevices, device_ip, snow_devices

DEVICES = [device_ip(2), device_ip(3)]


@pytest.fixture(scope="session")
def snow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnowDevices]:
    with snow_devices(tmp_path_factory.mktemp("snow-devices"), DEVICES) as devices:
        yield devices
