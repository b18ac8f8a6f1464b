"""A small HTTP client of the node API (stdlib http.client: the CLI stays quick to start)."""
from __future__ import annotations

import http.client
import json
import os
import socket
import stat
from typing import Any, BinaryIO, Callable, Iterable, Iterator
from urllib.parse import urlencode

from mimeidb.config import Home

CHUNK = 1 << 16
SENDFILE_SLICE = 8 << 20   # bytes per sendfile call (progress is reported between them)


class CliError(Exception):
    """A one-line message for the user; the CLI prints it and exits non-zero."""


class ApiClient:
    def __init__(self, home: Home, timeout: float = 600.0) -> None:
        self.home = home
        self.timeout = timeout
        settings = home.load_settings()
        self.port = settings.Port
        self._token: str | None = None

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            try:
                self._token = self.home.token()
            except OSError:
                raise CliError(f"no node home at {self.home.path} (run `mimeidb init` first)") from None
        return {"Authorization": f"Bearer {self._token}"}

    def _request(self, method: str, path: str, params: dict | None,
                 body: Any, progress: Callable[[int], None] | None = None) -> http.client.HTTPResponse:
        """Send one request and return its response (raising CliError for an error reply).

        A regular file is sent with Content-Length straight from the page cache with
        sendfile(2); other streams (pipes, generated tars) go chunked. When the node refuses
        an upload and closes the connection while the body is still being sent, its error
        reply is still read and reported.
        """
        url = path + ("?" + urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
                      if params else "")
        headers = self._headers()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout,
                                          blocksize=CHUNK)
        file_size = _regular_file_size(body)
        encode_chunked = False
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif file_size is not None:
            headers["Content-Length"] = str(file_size)
        elif body is not None and not isinstance(body, (bytes, bytearray)):
            body = _chunks(body)
            headers["Transfer-Encoding"] = "chunked"
            encode_chunked = True
        try:
            try:
                if file_size is not None:
                    conn.putrequest(method, url, skip_accept_encoding=True)
                    for key, value in headers.items():
                        conn.putheader(key, value)
                    conn.endheaders()
                    _sendfile(conn, body, file_size, progress)
                else:
                    conn.request(method, url, body=body, headers=headers,
                                 encode_chunked=encode_chunked)
            except (BrokenPipeError, ConnectionResetError) as exc:
                # the node answered (an error) before taking the whole body: read that answer
                try:
                    response = conn.getresponse()
                except (OSError, http.client.HTTPException):
                    raise CliError(f"the node closed the connection during the upload ({exc})") from None
            else:
                response = conn.getresponse()
        except (ConnectionRefusedError, socket.timeout, OSError) as exc:
            if isinstance(exc, ConnectionRefusedError) or getattr(exc, "errno", None) == 111:
                raise CliError(f"no mimeidb node is running for {self.home.path} "
                               f"(nothing answers on 127.0.0.1:{self.port}; start it with `mimeidb run -d`)") from None
            raise CliError(f"cannot reach the node on 127.0.0.1:{self.port}: {exc}") from None
        if response.status >= 400:
            raw = response.read()
            try:
                message = json.loads(raw).get("error") or raw.decode()
            except (ValueError, AttributeError):
                message = raw.decode("utf-8", "replace").strip() or response.reason
            raise CliError(message)
        return response

    def call(self, method: str, path: str, params: dict | None = None, json: Any = None,
             data: Any = None, progress: Callable[[int], None] | None = None) -> Any:
        """One API call; the parsed JSON reply (None for an empty body). `data` may be bytes,
        an iterable of chunks or a file object; `progress(bytes sent)` follows a file upload."""
        response = self._request(method, path, params, json if json is not None else data,
                                 progress)
        raw = response.read()
        if not raw:
            return None
        try:
            import orjson
            return orjson.loads(raw)
        except ValueError:
            raise CliError(f"the node sent a reply that is not JSON for {path}") from None

    def stream(self, method: str, path: str, params: dict | None = None,
               data: Any = None) -> Iterator[bytes]:
        """A streamed reply body, chunk by chunk (downloads of any size)."""
        response = self._request(method, path, params, data)
        while True:
            chunk = response.read(CHUNK)
            if not chunk:
                return
            yield chunk


def _chunks(body: BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    if hasattr(body, "read"):
        while True:
            chunk = body.read(CHUNK)  # type: ignore[union-attr]
            if not chunk:
                return
            yield chunk
    else:
        yield from body  # type: ignore[misc]


def _regular_file_size(body: Any) -> int | None:
    """Bytes left in `body` when it is a regular file (sendable with sendfile), else None."""
    if body is None or isinstance(body, (bytes, bytearray, dict, list)):
        return None
    try:
        fd = body.fileno()
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        return max(st.st_size - body.tell(), 0)
    except (AttributeError, OSError, ValueError):
        return None


def _sendfile(conn: http.client.HTTPConnection, f: BinaryIO, size: int,
              progress: Callable[[int], None] | None) -> None:
    offset = f.tell()
    sent = 0
    while sent < size:
        count = min(SENDFILE_SLICE, size - sent)
        n = conn.sock.sendfile(f, offset + sent, count)
        if not n:
            raise CliError("the file shrank while it was being sent")
        sent += n
        if progress is not None:
            progress(sent)
