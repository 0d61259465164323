"""A file shared in the DM (a rejection email as ``.eml`` or ``.txt``) in, a Paste out.

Slack announces a shared file in a ``message`` event with ``subtype: file_share`` and a
``files`` list; the event may carry only the file's id (``file_access:
check_file_info``), so the adapter asks ``files.info`` (scope ``files:read``) for the
name, type, size and ``url_private_download``, then downloads it with the bot token as
a Bearer header. The token is only ever sent to Slack's file host or to the host of the
Web API base the app was configured with (``SLACK_API_URL``, for a stand-in): a URL
anywhere else is not fetched.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.paste import NOT_READ, TOO_LARGE, WRONG_TYPE, accepts, file_paste, fits
from bot.messages import MAX_PASTE_CHARS, Paste

__all__ = ["FILE_HOST", "read_shared_file"]

log = logging.getLogger(__name__)

FILE_HOST = "files.slack.com"
_CHUNK = 64 * 1024


def _trusted(url: str, client: AsyncWebClient) -> bool:
    """Slack's file host over HTTPS, or the configured Web API's own origin."""
    target, api = urlsplit(url), urlsplit(client.base_url)
    if target.scheme == "https" and target.hostname == FILE_HOST:
        return True
    return (target.scheme, target.netloc) == (api.scheme, api.netloc)


async def _file_info(client: AsyncWebClient, shared: dict[str, Any]) -> dict[str, Any] | None:
    file_id = shared.get("id")
    if not isinstance(file_id, str) or not file_id:
        return None
    try:
        response = await client.files_info(file=file_id)
    except SlackApiError as exc:
        log.warning("files.info failed: %s", exc.response.get("error"))
        return None
    info = response.get("file")
    return info if isinstance(info, dict) else None


async def _download(client: AsyncWebClient, url: str) -> bytes | None:
    """The file's bytes, at most one more than the limit (enough to know it is too
    large); ``None`` if Slack did not hand it over."""
    headers = {"Authorization": f"Bearer {client.token}"}
    owned = client.session is None
    session = aiohttp.ClientSession() if owned else client.session
    assert session is not None
    try:
        async with session.get(url, headers=headers, allow_redirects=False) as response:
            if response.status != 200:
                log.warning("file download answered HTTP %s", response.status)
                return None
            data = bytearray()
            async for chunk in response.content.iter_chunked(_CHUNK):
                data += chunk
                if len(data) > MAX_PASTE_CHARS:
                    break
            return bytes(data)
    except aiohttp.ClientError as exc:
        log.warning("file download failed: %s", type(exc).__name__)
        return None
    finally:
        if owned:
            await session.close()


async def read_shared_file(client: AsyncWebClient, shared: dict[str, Any]) -> Paste | str:
    """The :class:`Paste` for one file of a ``file_share`` event, or the words to say
    instead: what is accepted (another type, too large) or that it could not be fetched."""
    info = await _file_info(client, shared)
    if info is None:
        return NOT_READ
    name, media_type, size = info.get("name"), info.get("mimetype"), info.get("size")
    if not accepts(name if isinstance(name, str) else None,
                   media_type if isinstance(media_type, str) else None):
        return WRONG_TYPE
    if not fits(size if isinstance(size, int) else None):
        return TOO_LARGE
    url = info.get("url_private_download") or info.get("url_private")
    if not isinstance(url, str) or not _trusted(url, client):
        log.warning("shared file has no download URL on Slack's file host; not fetched")
        return NOT_READ
    data = await _download(client, url)
    if data is None:
        return NOT_READ
    return file_paste(data, name if isinstance(name, str) else None)
