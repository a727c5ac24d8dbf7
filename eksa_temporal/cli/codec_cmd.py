"""``eksa-temporal codec-server``: serve the payload codec (``eksa_temporal.codec_server``)
to the Temporal Web UI and CLI, with the keys the workers use, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from eksa_temporal.cli.errors import CliError
from eksa_temporal.codec import KEY_ENV, KEYS_FILE_ENV, CodecError, load_keyring

if TYPE_CHECKING:
    from aiohttp import web


def _read_token(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CliError(f"cannot read the token file {path}: {exc.strerror or exc}") from exc
    if not token or any(c.isspace() for c in token):
        raise CliError(f"the token file {path} must hold one token without spaces (fix: openssl rand -hex 32 > {path})")
    return token


async def _serve(app: web.Application, host: str, port: int) -> None:
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (fix: choose another --bind)") from exc
        click.echo(f"codec server on http://{host}:{port} (/encode, /decode); Ctrl-C stops it", err=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


@click.command("codec-server")
@click.option("--bind", default="127.0.0.1:8081", show_default=True, envvar="EKSA_CODEC_BIND", help="Address to listen on (host:port; env EKSA_CODEC_BIND).")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="URL", envvar="EKSA_CODEC_CORS_ORIGINS", help="Origin of the Web UI allowed to call it (repeatable; env EKSA_CODEC_CORS_ORIGINS, space-separated), e.g. http://127.0.0.1:8233.")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path), default=None, envvar="EKSA_CODEC_TOKEN_FILE", help="File holding the bearer token every request must carry (Authorization: Bearer <token>; env EKSA_CODEC_TOKEN_FILE).")
def codec_server(bind: str, cors_origins: tuple[str, ...], token_file: Path | None) -> int:
    """Decrypt and encrypt payloads for the Temporal Web UI and CLI.

    The keys come from EKSA_CODEC_KEYS_FILE or EKSA_CODEC_KEY/EKSA_CODEC_KEY_ID, as for
    the worker. Point the UI at it: temporal server start-dev --ui-codec-endpoint URL.

    \b
    Example:
      export EKSA_CODEC_KEYS_FILE=/etc/eksa/codec-keys
      eksa-temporal codec-server --bind 127.0.0.1:8081 \\
          --cors-origin http://127.0.0.1:8233 --token-file /etc/eksa/codec-token
    """
    from eksa_temporal.codec_server import create_app, parse_bind

    try:
        host, port = parse_bind(bind)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    try:
        keyring = load_keyring()
    except CodecError as exc:
        raise CliError(str(exc)) from exc
    if keyring is None:
        raise CliError(f"no keys configured (fix: set {KEYS_FILE_ENV} to a keys file, or {KEY_ENV} with EKSA_CODEC_KEY_ID)")
    token = _read_token(token_file) if token_file else None
    app = create_app(keyring, cors_origins=cors_origins, token=token)
    asyncio.run(_serve(app, host, port))
    return 0


def register(group: click.Group) -> None:
    group.add_command(codec_server)
