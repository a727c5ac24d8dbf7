"""Infrastructure providers: one folder per provider behind the narrow ``Provider``
protocol in ``providers.base``; ``providers.registry`` maps a spec to its provider."""
