"""Every installed provider's spec kinds and rules are registered, as the CLI and the
worker do before checking a spec."""

from __future__ import annotations

from eksa_temporal.providers.registry import load_spec_plugins

load_spec_plugins()
