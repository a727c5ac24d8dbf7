"""The snow provider (AWS Snow devices through CAPAS): credentials, device clients,
preflight, rendering and the provider itself (``provider.SnowProvider``)."""
