"""The tinkerbell provider (bare metal through Tinkerbell): spec rules only in this build."""
