"""A CloudStack API client for one management endpoint, on the PyPI ``cs`` client: every
request signed as CloudStack documents it (HMAC-SHA1 over the sorted, lower-cased query,
base64, ``signatureVersion=3`` with an ``expires`` stamp), sent as a form POST so that the
``apiKey`` and ``signature`` never appear in a URL (nor in an exception's text), and list
commands paged with ``page``/``pagesize`` until the ``count`` is reached.

Errors become ``CloudStackPermanentError`` (HTTP 401 / 432: bad key or signature, a
refused parameter) or ``CloudStackError`` (unreachable, 5xx), with the API's own
``errortext`` and never a key. Used by the provider's preflight (``preflight.py``).
"""

from __future__ import annotations

from typing import Any

import requests
from cs import CloudStack, CloudStackApiException, CloudStackException

from eksa_temporal.providers.cloudstack.credentials import Profile
from eksa_temporal.providers.cloudstack.errors import CloudStackError, CloudStackPermanentError

PERMANENT_CODES = {401, 403, 431, 432}


class Api:
    """One endpoint's signed client (``profile``'s keys, TLS verified per ``verify-ssl``)."""

    def __init__(self, profile: Profile, timeout: float = 10.0, page_size: int = 500) -> None:
        self.endpoint = profile.api_url
        self.page_size = page_size
        self._client = CloudStack(
            endpoint=profile.api_url,
            key=profile.api_key.get_secret_value(),
            secret=profile.secret_key.get_secret_value(),
            timeout=int(max(timeout, 1)),
            method="post",
            dangerous_no_tls_verify=not profile.verify_ssl,
        )

    def __repr__(self) -> str:
        return f"<cloudstack Api {self.endpoint}>"

    def call(self, command: str, **params: Any) -> dict[str, Any]:
        """One command; its response object (``<command>response`` unwrapped)."""
        return dict(self._run(command, fetch_list=False, **params) or {})

    def list(self, command: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a ``list*`` command, page after page."""
        params.setdefault("pagesize", self.page_size)
        return [dict(i) for i in self._run(command, fetch_list=True, **params) or []]

    def _run(self, command: str, *, fetch_list: bool, **params: Any) -> Any:
        try:
            return getattr(self._client, command)(fetch_list=fetch_list, **params)
        except CloudStackApiException as exc:
            status = exc.response.status_code if exc.response is not None else 0
            error = exc.error if isinstance(exc.error, dict) else {}
            text = str(error.get("errortext") or f"HTTP {status}")
            code = int(error.get("errorcode") or status or 0)
            message = f"{command} on {self.endpoint} failed ({code}): {text}"
            if code in PERMANENT_CODES or status in PERMANENT_CODES:
                raise CloudStackPermanentError(
                    message,
                    "check the api-key and secret-key of this endpoint's profile in EKSA_CLOUDSTACK_B64ENCODED_SECRET",
                ) from None
            raise CloudStackError(message, "check the CloudStack management server") from None
        except CloudStackException as exc:
            first = str(exc.args[0]) if exc.args else type(exc).__name__
            raise CloudStackError(
                f"{command} on {self.endpoint}: {first}",
                "check managementApiEndpoint / api-url (it ends in /client/api)",
            ) from None
        except requests.RequestException as exc:  # the text of these may hold the request
            raise CloudStackError(
                f"{command}: cannot reach {self.endpoint} ({type(exc).__name__})",
                "check that the management server is reachable from here and api-url is right",
            ) from None
