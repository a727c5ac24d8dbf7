"""moto in server mode as one Snow device's EC2 endpoint: ``moto_server`` itself
(``moto.server.main``, same arguments) with one availability zone added for region
``snow``. moto knows no zones for a region it does not know, and it launches instances only
into a subnet of a zone (the default VPC gets one subnet per zone), so without this the
CAPAS stand-in could not run instances on the device; nothing else differs.

Run: ``python -m tests.providers.snow.moto_device -H IP -p 8243 --ssl -c CERT -k KEY``.
"""

from __future__ import annotations

from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend, Zone
from moto.server import main

RegionsAndZonesBackend.zones.setdefault("snow", [Zone(name="snowa", region_name="snow", zone_id="snow-az1")])

if __name__ == "__main__":
    main()
