"""RESP without I/O: request bytes in, argv lists out; reply values in, bytes out.

The server is a thin shell around this module (as h11 is around its state machine), so every
framing rule here is testable with plain bytes.

Parsing follows Redis's own reader (networking.c, processInlineBuffer/processMultibulkBuffer)
rule for rule, because clients and the Redis test suite depend on its exact behaviour:

* A request starting with '*' is a multibulk; anything else is an inline (telnet) line split
  like sdssplitargs. Empty inline lines and `*0`/`*-n` headers are skipped, not errors.
* Line searches stop at a NUL byte, as Redis's strchr() does: an inline line with a NUL in it
  never ends, and the connection is closed once the line outgrows the inline limit
  (the "protocol desync" tests rely on this).
* Redis does not check the CRLF after a bulk payload; it skips two bytes. Neither do we.
* Errors are replied once and the connection is closed.

Speed: hiredis.Reader parses complete multibulk frames in C. It is laxer than Redis (it takes
any reply type inside an array, and does not know inline requests), so it is only an
accelerator: a read that holds nothing but complete multibulk frames of bulk strings goes
through hiredis; anything else (a split frame, inline text, a non-bulk element, an error)
is parsed again from the start of the read by the exact Python state machine below, which
is the authority. Commands are returned per read, before any runs, so re-parsing is safe.
The one laxness kept: a simple string (+foo) inside an array is taken as an argument.
"""
from __future__ import annotations

import re

import hiredis

from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import (
    Block, Double, Map, Push, SetReply, Simple, Verbatim, _NullArray, format_double,
)

# Limits, with Redis's defaults and the reason they exist.
PROTO_INLINE_MAX_SIZE = 64 * 1024          # server.h: longest inline line / count line
PROTO_MAX_BULK_LEN = 512 * 1024 * 1024     # proto-max-bulk-len: one argument's size
PROTO_MAX_MULTIBULK = 1024 * 1024 * 1024   # Redis caps the count at INT_MAX; 1G arguments
CLIENT_MAX_QUERYBUF = 1024 * 1024 * 1024   # client-query-buffer-limit: unread bytes per client
AUTH_MAX_MULTIBULK = 10                    # before AUTH: Redis refuses longer requests
AUTH_MAX_BULK = 16384                      # before AUTH: and larger arguments


# hiredis allocates an array when it reads its header; a read that may hold a header of a
# million or more arguments goes to the exact parser, which allocates as arguments arrive.
_BIG_COUNT = re.compile(rb"\*\d{7}")


class ProtocolError(Exception):
    """Malformed input: reply `-{message}` and close the connection. `message` is the full
    error line (prefix included); None means close without a reply (query buffer limit)."""

    def __init__(self, message: str | None) -> None:
        super().__init__(message)
        self.message = message


class RequestParser:
    """Incremental request parser. `feed(data)` returns the complete requests in data (and
    earlier partial data) as argv lists of bytes; raises ProtocolError on malformed input,
    after which the connection must be closed (the parser is then unusable)."""

    __slots__ = ("_buf", "_argv", "_multibulk", "_bulklen", "auth_required", "_reader")

    def __init__(self) -> None:
        self._buf = bytearray()   # unparsed bytes (only used on the exact path)
        self._argv: list[bytes] = []   # arguments of a multibulk being read
        self._multibulk = 0       # arguments still to read of that multibulk (0 = between)
        self._bulklen = -1        # length of the bulk being read, -1 = header not read yet
        self.auth_required = False  # the server sets this until the client authenticates
        self._reader = hiredis.Reader()  # clean between reads; replaced when a read fails it

    def pending(self) -> int:
        """Bytes buffered but not yet parsed into a request (the query buffer)."""
        return len(self._buf)

    def wanted(self) -> int:
        """Size of the bulk argument being read (with its CRLF), 0 between arguments: Redis
        sizes the query buffer for a big argument up front."""
        return self._bulklen + 2 if self._multibulk and self._bulklen >= 0 else 0

    def feed(self, data: bytes) -> list[list[bytes]]:
        if not self._buf and not self._multibulk and data[:1] == b"*" \
                and data[-2:] == b"\r\n" and not self.auth_required:
            fast = None if _BIG_COUNT.search(data) else _hiredis_frames(self._reader, data)
            if fast is not None:
                return fast
            self._reader = hiredis.Reader()
        self._buf += data
        if len(self._buf) > CLIENT_MAX_QUERYBUF:
            raise ProtocolError(None)
        return self._parse()

    # -- the exact state machine ------------------------------------------------------------
    def _parse(self) -> list[list[bytes]]:
        buf = self._buf
        end = len(buf)
        pos = 0
        out: list[list[bytes]] = []
        try:
            while pos < end:
                if not self._multibulk:
                    if buf[pos] == 42:  # '*'
                        got = self._multibulk_header(buf, pos, end)
                        if got < 0:
                            break
                        pos = got
                        if not self._multibulk:
                            continue
                    else:
                        got = self._inline(buf, pos, end, out)
                        if got < 0:
                            break
                        pos = got
                        continue
                pos = self._bulks(buf, pos, end)
                if self._multibulk:
                    break
                out.append(self._argv)
                self._argv = []
        finally:
            del buf[:pos]
        return out

    def _inline(self, buf: bytearray, pos: int, end: int, out: list) -> int:
        newline = _find_line_end(buf, b"\n", pos, end)
        if newline < 0:
            if end - pos > PROTO_INLINE_MAX_SIZE:
                raise ProtocolError("ERR Protocol error: too big inline request")
            return -1
        stop = newline - 1 if newline > pos and buf[newline - 1] == 13 else newline
        argv = split_args(bytes(buf[pos:stop]))
        if argv is None:
            raise ProtocolError("ERR Protocol error: unbalanced quotes in request")
        if argv:
            out.append(argv)
        return newline + 1

    def _multibulk_header(self, buf: bytearray, pos: int, end: int) -> int:
        cr = _find_line_end(buf, b"\r", pos, end)
        if cr < 0:
            if end - pos > PROTO_INLINE_MAX_SIZE:
                raise ProtocolError("ERR Protocol error: too big mbulk count string")
            return -1
        if cr > end - 2:
            return -1
        count = _string2ll(buf[pos + 1:cr])
        if count is None or count > PROTO_MAX_MULTIBULK:
            raise ProtocolError("ERR Protocol error: invalid multibulk length")
        if count > AUTH_MAX_MULTIBULK and self.auth_required:
            raise ProtocolError("ERR Protocol error: unauthenticated multibulk length")
        if count > 0:
            self._multibulk = count
            self._bulklen = -1
        return cr + 2

    def _bulks(self, buf: bytearray, pos: int, end: int) -> int:
        argv = self._argv
        while self._multibulk:
            if self._bulklen < 0:
                cr = _find_line_end(buf, b"\r", pos, end)
                if cr < 0:
                    if end - pos > PROTO_INLINE_MAX_SIZE:
                        raise ProtocolError("ERR Protocol error: too big bulk count string")
                    return pos
                if cr > end - 2:
                    return pos
                if buf[pos] != 36:  # '$'
                    raise ProtocolError(
                        f"ERR Protocol error: expected '$', got '{chr(buf[pos])}'")
                size = _string2ll(buf[pos + 1:cr])
                if size is None or size < 0 or size > PROTO_MAX_BULK_LEN:
                    raise ProtocolError("ERR Protocol error: invalid bulk length")
                if size > AUTH_MAX_BULK and self.auth_required:
                    raise ProtocolError("ERR Protocol error: unauthenticated bulk length")
                pos = cr + 2
                self._bulklen = size
            if end - pos < self._bulklen + 2:
                return pos
            argv.append(bytes(buf[pos:pos + self._bulklen]))
            pos += self._bulklen + 2
            self._bulklen = -1
            self._multibulk -= 1
        return pos


def _hiredis_frames(reader: hiredis.Reader, data: bytes) -> list[list[bytes]] | None:
    """The requests of a read made only of complete multibulk frames of bulk strings, or None
    when the exact parser must look at it. hiredis swallows a partial header without a trace
    and takes +simple elements, so the canonical size of what it returned must add up to the
    read exactly."""
    reader.feed(data)
    out = []
    total = 0
    hlen = _HEADER_LEN
    try:
        frame = reader.gets()
        while frame is not False:
            if frame.__class__ is not list:
                return None
            n = len(frame)
            total += hlen[n] if n < 1024 else len(str(n)) + 3
            for arg in frame:
                if arg.__class__ is not bytes:
                    return None
                n = len(arg)
                total += n + 2 + (hlen[n] if n < 1024 else len(str(n)) + 3)
            if frame:
                out.append(frame)
            frame = reader.gets()
    except Exception:  # hiredis.ProtocolError, or anything else it dislikes
        return None
    if total != len(data):
        return None
    return out


_HEADER_LEN = [len(str(i)) + 3 for i in range(1024)]  # len("$<n>\r\n")


def _find_line_end(buf: bytearray, char: bytes, pos: int, end: int) -> int:
    """buf.find(char) from pos, but -1 if a NUL comes first (Redis's strchr stops there)."""
    found = buf.find(char, pos, end)
    if found < 0:
        return -1
    if buf.find(b"\0", pos, found) >= 0:
        return -1
    return found


def _string2ll(raw: bytes | bytearray) -> int | None:
    """Redis's string2ll: optional '-', digits, no leading zeros or spaces, fits int64."""
    n = len(raw)
    if n == 0 or n > 20:
        return None
    if n == 1 and raw[0] == 48:
        return 0
    start = 1 if raw[0] == 45 else 0
    if start == n or not (49 <= raw[start] <= 57):
        return None
    for c in raw[start + 1:]:
        if not 48 <= c <= 57:
            return None
    value = int(raw)
    if not -(1 << 63) <= value < (1 << 63):
        return None
    return value


_HEX = b"0123456789abcdefABCDEF"
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_SPACES = b" \n\r\t\0"


def split_args(line: bytes) -> list[bytes] | None:
    """sdssplitargs: words separated by spaces; "double quotes" with \\xHH and \\n escapes,
    'single quotes' with only \\'; a closing quote must be followed by a space or the end.
    None for unbalanced quotes."""
    args: list[bytes] = []
    i = 0
    n = len(line)
    while True:
        while i < n and line[i] in _SPACES:
            i += 1
        if i >= n:
            return args
        current = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    return None
                c = line[i]
                if c == 92 and i + 3 < n and line[i + 1] == 120 \
                        and line[i + 2] in _HEX and line[i + 3] in _HEX:  # \xHH
                    current.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    i += 1
                    current.append(_ESCAPES.get(line[i], line[i]))
                elif c == 34:  # closing "
                    if i + 1 < n and line[i + 1] not in _SPACES:
                        return None
                    i += 1
                    break
                else:
                    current.append(c)
            elif insq:
                if i >= n:
                    return None
                c = line[i]
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    current.append(39)
                elif c == 39:
                    if i + 1 < n and line[i + 1] not in _SPACES:
                        return None
                    i += 1
                    break
                else:
                    current.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in _SPACES:
                    break
                if c == 34:
                    inq = True
                elif c == 39:
                    insq = True
                else:
                    current.append(c)
            i += 1
        args.append(bytes(current))


# -- encoding ---------------------------------------------------------------------------------

_OK = b"+OK\r\n"
_NULL2 = b"$-1\r\n"
_NULL3 = b"_\r\n"
_NULL_ARRAY2 = b"*-1\r\n"
_SMALL_INTS = [b":%d\r\n" % i for i in range(-1, 1025)]
_BULK_HEADERS = [b"$%d\r\n" % i for i in range(0, 1025)]


def encode(reply: object, protocol: int = 2) -> bytes:
    """The RESP bytes of one reply value (see mimeidb.commands.replies)."""
    out = bytearray()
    append(out, reply, protocol)
    return bytes(out)


def append(out: bytearray, reply: object, protocol: int) -> None:
    """Append the RESP encoding of reply to out."""
    cls = reply.__class__
    if cls is bytes:
        n = len(reply)  # type: ignore[arg-type]
        out += _BULK_HEADERS[n] if n <= 1024 else b"$%d\r\n" % n
        out += reply  # type: ignore[operator]
        out += b"\r\n"
    elif cls is int:
        out += _SMALL_INTS[reply + 1] if -1 <= reply <= 1023 else b":%d\r\n" % reply  # type: ignore[operator]
    elif reply is None:
        out += _NULL3 if protocol == 3 else _NULL2
    elif cls is Simple:
        out += _OK if reply == "OK" else b"+%s\r\n" % reply.encode()  # type: ignore[attr-defined]
    elif cls is list or cls is tuple:
        out += b"*%d\r\n" % len(reply)  # type: ignore[arg-type]
        headers = _BULK_HEADERS
        for item in reply:  # type: ignore[attr-defined]
            if item.__class__ is bytes:  # the common element, inline (LRANGE, MGET...)
                n = len(item)
                out += headers[n] if n <= 1024 else b"$%d\r\n" % n
                out += item
                out += b"\r\n"
            else:
                append(out, item, protocol)
    else:
        _append_other(out, reply, protocol)


def _append_other(out: bytearray, reply: object, protocol: int) -> None:
    if isinstance(reply, RedisError):
        out += b"-%s\r\n" % _one_line(reply.message)
    elif isinstance(reply, bool):
        if protocol == 3:
            out += b"#t\r\n" if reply else b"#f\r\n"
        else:
            out += b":1\r\n" if reply else b":0\r\n"
    elif isinstance(reply, _NullArray):
        out += _NULL3 if protocol == 3 else _NULL_ARRAY2
    elif isinstance(reply, Map) or isinstance(reply, dict):
        pairs = reply.items() if isinstance(reply, dict) else reply
        if protocol == 3:
            out += b"%%%d\r\n" % len(reply)
        else:
            out += b"*%d\r\n" % (2 * len(reply))
        for key, value in pairs:
            append(out, key, protocol)
            append(out, value, protocol)
    elif isinstance(reply, (SetReply, set, frozenset)):
        out += b"%s%d\r\n" % (b"~" if protocol == 3 else b"*", len(reply))
        for item in reply:
            append(out, item, protocol)
    elif isinstance(reply, Push):
        out += b"%s%d\r\n" % (b">" if protocol == 3 else b"*", len(reply))
        for item in reply:
            append(out, item, protocol)
    elif isinstance(reply, (list, tuple)):
        out += b"*%d\r\n" % len(reply)
        for item in reply:
            append(out, item, protocol)
    elif isinstance(reply, float):  # Double, or a plain float
        text = format_double(reply)
        if protocol == 3:
            out += b",%s\r\n" % text
        else:
            out += b"$%d\r\n%s\r\n" % (len(text), text)
    elif isinstance(reply, Verbatim):
        data = reply.encode()
        if protocol == 3:
            out += b"=%d\r\ntxt:%s\r\n" % (len(data) + 4, data)
        else:
            out += b"$%d\r\n%s\r\n" % (len(data), data)
    elif isinstance(reply, Simple):
        out += b"+%s\r\n" % _one_line(str(reply))
    elif isinstance(reply, int):
        out += b":%d\r\n" % reply
    elif isinstance(reply, str):
        data = reply.encode()
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    elif isinstance(reply, (bytearray, memoryview)):
        out += b"$%d\r\n%s\r\n" % (len(reply), bytes(reply))
    elif isinstance(reply, Block):
        raise TypeError("a Block reply must be handled by the face, not encoded")
    else:
        raise TypeError(f"cannot encode a reply of type {type(reply).__name__}")


def error_bytes(message: str) -> bytes:
    return b"-%s\r\n" % _one_line(message)


def _one_line(text: str) -> bytes:
    """Error and status lines cannot hold CR/LF (Redis replaces them with spaces)."""
    data = text.encode("utf-8", "replace")
    if b"\r" in data or b"\n" in data:
        data = data.replace(b"\r", b" ").replace(b"\n", b" ")
    return data


__all__ = ["RequestParser", "ProtocolError", "split_args", "encode", "append", "error_bytes",
           "Double", "Map", "Push", "SetReply", "Simple", "Verbatim"]
