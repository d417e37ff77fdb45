"""Public ids (dec_…, apr_…, hnd_…): time-ordered, so that indexes stay append-mostly, and
unguessable."""

import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lowercase


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))


def new_public_id(prefix: str) -> str:
    """The prefix + 10 characters of milliseconds + 16 random: sortable by time."""
    millis = time.time_ns() // 1_000_000
    return prefix + _encode(millis, 10) + _encode(int.from_bytes(os.urandom(10)), 16)
