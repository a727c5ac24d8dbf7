"""External executables (``kind``, ``docker``): one runner (``tools.runner.run``) and thin,
typed wrappers that build each command's exact argv and map the tools' known messages."""
