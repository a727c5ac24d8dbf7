"""Does the simulated infrastructure already hold a cluster of this name? (read-only)

The truth a create asks before any side effect (``SimProvider.find_existing``): the sim's
virtual cluster ``<name>`` (the cluster's API server), its bootstrap virtual cluster
``<name>-eks-a-cluster`` (a create of that name under way, or left behind) and the
inventory machines of cluster ``<name>`` that still exist. Names match exactly: ``prod``
never matches ``prod-b``'s pieces.

Whatever a create run makes carries its owner identity (``eksa_temporal.ownership``): the
virtual clusters' labels and each machine's ``owner``. Pieces carrying the asking run's
``owner`` are that run's own (a create resumed after a crash); pieces without an owner are
counted as the asking run's only when another piece carries its identity (the sim labels
a virtual cluster a moment after creating it); everything else is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eksa_temporal.ownership import OWNER_LABEL

BOOTSTRAP_SUFFIX = "-eks-a-cluster"


@dataclass(frozen=True)
class Piece:
    """One piece of infrastructure of the cluster: what it is and whose it is ('' unknown)."""

    what: str
    owner: str


def pieces(clusters: list[dict[str, Any]], machines: list[dict[str, Any]], name: str) -> list[Piece]:
    """The pieces of cluster ``name`` among the sim's virtual clusters and machines."""
    found: list[Piece] = []
    by_name = {str(c.get("name")): c for c in clusters if isinstance(c, dict)}
    for vc_name, what in ((name, "virtual cluster"), (name + BOOTSTRAP_SUFFIX, "bootstrap cluster")):
        vc = by_name.get(vc_name)
        if vc is not None:
            labels = vc.get("labels") or {}
            found.append(Piece(f"{what} {vc_name}", str(labels.get(OWNER_LABEL) or "")))
    live = [m for m in machines if m.get("cluster") == name and m.get("exists")]
    for m in sorted(live, key=lambda m: str(m.get("id"))):
        found.append(Piece(f"machine {m.get('id')}", str(m.get("owner") or "")))
    return found


def foreign(found: list[Piece], owner: str) -> list[Piece]:
    """The pieces that are not the asking run's own (``owner``: its identity, '' none)."""
    if owner and any(p.owner == owner for p in found):
        return [p for p in found if p.owner not in ("", owner)]
    return list(found)


def describe(found: list[Piece], state_dir: Path) -> str:
    """One line: ``the sim at DIR holds virtual cluster c and 3 machine(s) of it``."""
    names = [p.what for p in found if not p.what.startswith("machine ")]
    machines = len(found) - len(names)
    parts = names + ([f"{machines} machine(s) of it"] if machines else [])
    return f"the sim at {state_dir} holds {' and '.join(parts)}"


def find_existing(client: Any, name: str, owner: str) -> str | None:
    """Where cluster ``name`` exists in the sim behind ``client`` (``SimClient``), apart
    from what ``owner`` made; None when nothing of it is there. SimError propagates (the
    caller's retry decides)."""
    found = foreign(pieces(client.clusters(), client.machines(cluster=name), name), owner)
    return describe(found, client.state_dir) if found else None
