"""Glob-style matching with exactly the semantics of Redis's stringmatchlen (util.c).

KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH and PSUBSCRIBE patterns all go through `glob_match`.
Redis walks the pattern recursively, one level per `*`; we compile the pattern once into
atoms (a `*`, or a 256-entry table of the bytes one position accepts) and run the classic
two-pointer wildcard walk, which gives the same answers in O(len(pattern) * len(text))
without recursion. The corners Redis's walk has, and we keep:

- `?` and every bracket match exactly one byte; `*` any run of bytes, but an empty text
  matches only the empty pattern (so `*` does not match b""; KEYS/SCAN skip matching when
  the pattern is exactly `*`, as Redis does, so they still return an empty key name);
- `\\x` is a literal x; a trailing `\\` is a literal backslash;
- `[^...]` negates; `[a-z]` is a range whose ends may come in either order; `\\` inside a
  bracket escapes the next byte (compared case-sensitively even with nocase); an
  unterminated `[` runs to the end of the pattern (`[` alone matches nothing, `[^` any byte);
- bytes compare as C's signed char in ranges (so `[a-\\xff]` is the range -1..97), and nocase
  folds only A-Z (tolower in the C locale);
- Redis gives up on a pattern that needs more than 1000 nested `*` levels (its guard against
  abusive patterns): a pattern with more than 1000 `*` groups that are not its last atom
  matches nothing.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

_SPECIAL = frozenset(b"*?[\\")
_MAX_NESTING = 1000  # Redis's stringmatchlen_impl refuses deeper recursion
_LOWER = bytes(b + 32 if 65 <= b <= 90 else b for b in range(256))


def _signed(byte: int) -> int:
    return byte - 256 if byte >= 128 else byte


def _lower_signed(value: int) -> int:
    return value + 32 if 65 <= value <= 90 else value


def _bracket(pattern: bytes, i: int, nocase: bool) -> tuple[bytes, int]:
    """Parse a bracket starting after its '['; return (table of accepted bytes, index after)."""
    n = len(pattern)
    negate = i < n and pattern[i] == 0x5E  # '^'
    if negate:
        i += 1
    table = bytearray(256)
    while True:
        if i < n and pattern[i] == 0x5C and n - i >= 2:          # '\' escapes, case-sensitive
            table[pattern[i + 1]] = 1
            i += 2
            continue
        if i < n and pattern[i] == 0x5D:                           # ']'
            i += 1
            break
        if i >= n:                                                 # unterminated: ends here
            break
        if n - i >= 3 and pattern[i + 1] == 0x2D:                  # 'a-z' range
            start, end = _signed(pattern[i]), _signed(pattern[i + 2])
            if start > end:
                start, end = end, start
            if nocase:
                start, end = _lower_signed(start), _lower_signed(end)
            for byte in range(256):
                value = _signed(byte)
                if nocase:
                    value = _lower_signed(value)
                if start <= value <= end:
                    table[byte] = 1
            i += 3
            continue
        _accept(table, pattern[i], nocase)
        i += 1
    if negate:
        table = bytearray(1 - v for v in table)
    return bytes(table), i


def _accept(table: bytearray, char: int, nocase: bool) -> None:
    """Mark the bytes equal to char (under nocase: equal after tolower, so both cases)."""
    table[char] = 1
    if nocase and 97 <= _LOWER[char] <= 122:
        table[_LOWER[char]] = 1
        table[_LOWER[char] - 32] = 1


def _literal(char: int, nocase: bool) -> bytes:
    table = bytearray(256)
    _accept(table, char, nocase)
    return bytes(table)


_ANY = bytes([1]) * 256


def _atoms(pattern: bytes, nocase: bool) -> list[bytes | None]:
    """The pattern as atoms: None for a run of '*', else the table of bytes one position takes."""
    atoms: list[bytes | None] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == 0x2A:                                           # '*'
            if not atoms or atoms[-1] is not None:
                atoms.append(None)
            i += 1
        elif char == 0x3F:                                         # '?'
            atoms.append(_ANY)
            i += 1
        elif char == 0x5B:                                         # '['
            table, i = _bracket(pattern, i + 1, nocase)
            atoms.append(table)
        else:
            if char == 0x5C and n - i >= 2:                        # '\x'
                i += 1
                char = pattern[i]
            atoms.append(_literal(char, nocase))
            i += 1
    return atoms


def _walk(atoms: list[bytes | None], text: bytes) -> bool:
    """Two-pointer wildcard match; on a mismatch the last '*' takes one more byte."""
    n, m = len(text), len(atoms)
    t = a = 0
    star_a, star_t = -1, 0
    while t < n:
        if a < m:
            atom = atoms[a]
            if atom is None:
                star_a, star_t = a, t
                a += 1
                continue
            if atom[text[t]]:
                a += 1
                t += 1
                continue
        if star_a < 0:
            return False
        star_t += 1
        t, a = star_t, star_a + 1
    while a < m and atoms[a] is None:
        a += 1
    return a == m


@lru_cache(maxsize=512)
def compile_glob(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A matcher for pattern: `compile_glob(p)(text) == glob_match(p, text)`. Cached, so
    callers that test many texts against one pattern (SCAN MATCH) pay the parse once."""
    if not pattern:
        return lambda text: not text
    if not _SPECIAL.intersection(pattern):
        if nocase:
            folded = pattern.lower()
            return lambda text: text.lower() == folded
        return pattern.__eq__
    body = pattern.strip(b"*")
    if not _SPECIAL.intersection(body) and not pattern.endswith(b"\\*"):
        # Fast paths: '*', 'prefix*', '*suffix', '*middle*' (no escapes or brackets).
        lead, trail = pattern.startswith(b"*"), pattern.endswith(b"*")
        fold = (lambda text: text.lower()) if nocase else (lambda text: text)
        if nocase:
            body = body.lower()
        if lead and trail:
            return lambda text: bool(text) and body in fold(text)
        if trail:
            return lambda text: bool(text) and fold(text).startswith(body)
        if lead:
            return lambda text: bool(text) and fold(text).endswith(body)
    atoms = _atoms(pattern, nocase)
    nested = sum(1 for atom in atoms[:-1] if atom is None)
    if nested > _MAX_NESTING:
        return lambda text: False
    return lambda text: bool(text) and _walk(atoms, text)


def glob_match(pattern: bytes, text: bytes, nocase: bool = False) -> bool:
    """True if text matches the Redis glob pattern (stringmatchlen semantics)."""
    return compile_glob(pattern, nocase)(text)


def literal_prefix(pattern: bytes) -> bytes:
    """The bytes every (case-sensitive) match of pattern starts with: the pattern up to its
    first `*`, `?` or `[`, escapes resolved. KEYS and SCAN seek there instead of reading
    every key."""
    out = bytearray()
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char in (0x2A, 0x3F, 0x5B):
            break
        if char == 0x5C and n - i >= 2:
            i += 1
            char = pattern[i]
        out.append(char)
        i += 1
    return bytes(out)
