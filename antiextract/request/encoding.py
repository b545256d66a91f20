"""A request body as the model server will read it, for inspection only.

A client may compress its request (``Content-Encoding: gzip``). Read as sent, a gzip body
blinds every signal and shrinks the estimate to the compressed size: a 1 MB prompt of
repeated text compresses a hundredfold and would reserve a hundredth of its cost. So gzip
and deflate bodies are decoded for inspection, with a bounded decompressor that never
produces more than the inspection cap (a zip bomb stops there), while the app still
receives the original bytes. A body we cannot decode (another encoding, a corrupt stream,
more than the cap once decoded) is uninspectable: its size is unknown, and it is charged
as the largest request (``cost.UNKNOWN``).
"""

from __future__ import annotations

import zlib

# zlib's window bits: 47 = 32 + 15 accepts a gzip or a zlib header (RFC 1952 / 1950);
# -15 is a raw deflate stream, which some clients send as "deflate" (RFC 9110 §8.4.1.2
# says zlib, and both are seen in the wild).
_GZIP_OR_ZLIB = 47
_RAW_DEFLATE = -15
_READABLE = {b"gzip": (_GZIP_OR_ZLIB,), b"x-gzip": (_GZIP_OR_ZLIB,),
             b"deflate": (_GZIP_OR_ZLIB, _RAW_DEFLATE)}  # fmt: skip


def content_coding(value: bytes | None) -> bytes | None:
    """The request's content coding, lower-cased; None for identity (no header, empty,
    ``identity``). Several codings (``gzip, gzip``) come back as they are: unreadable."""
    if value is None:
        return None
    coding = value.strip().lower()
    return None if coding in (b"", b"identity") else coding


def decode(body: bytes, coding: bytes, cap: int) -> bytes | None:
    """``body`` decoded from ``coding``, or None when it cannot be read within ``cap``
    decoded bytes: an unknown coding, a corrupt or truncated stream, trailing garbage,
    or more than ``cap`` bytes once decoded (never more than ``cap + 1`` are produced)."""
    for wbits in _READABLE.get(coding, ()):
        decoder = zlib.decompressobj(wbits)
        try:
            out = decoder.decompress(body, cap + 1)
        except zlib.error:
            continue
        if len(out) > cap or decoder.unconsumed_tail:
            return None  # larger than we inspect: its size is unknown
        if not decoder.eof or decoder.unused_data:
            return None  # truncated, or a second gzip member / trailing bytes
        return out
    return None
