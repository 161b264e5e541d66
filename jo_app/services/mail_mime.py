"""The bytes of an outgoing e-mail, written directly (what `email.message.EmailMessage` + the SMTP policy built).

The confirmation mail job spent ~5 ms of CPU per message in the `email` package (header objects parsed and folded,
the generator walking the tree line by line); this writes the same MIME structure in a few joins, the encodings in
C (`base64`, `binascii.b2a_qp`): multipart/mixed (when files are attached) holding multipart/alternative (text,
HTML) or the text part alone, then the attachments in base64. Text parts keep the package's choice: 7bit / 8bit
when every line fits in 78 bytes, quoted-printable otherwise. A header value with non-ASCII characters is written as
RFC 2047 encoded words (base64), which any mail reader (and `email`'s parser) decodes back.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

CRLF = b"\r\n"
MAX_LINE = 78  # the SMTP policy's max_line_length


@dataclass(frozen=True)
class OutgoingMail:
    """A message ready for the wire: its envelope and its bytes (CRLF line ends)."""

    message_id: str
    sender: str  # envelope addresses (no display names)
    recipients: tuple[str, ...]
    to: str  # the To header as given
    data: bytes

    @property
    def smtputf8(self) -> bool:
        """An address outside ASCII: sent with SMTPUTF8, as `smtplib.send_message` did (headers in raw UTF-8)."""
        return not all(address.isascii() for address in (self.sender, *self.recipients))


def header_value(name: str, value: str) -> str:
    """`value` as it is written after `name: `: as is when ASCII and short, else RFC 2047 encoded words."""
    if "\r" in value or "\n" in value:  # header injection: refused, as the email package did
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    if value.isascii() and len(name) + len(value) + 2 <= MAX_LINE:
        return value
    words, chunk = [], ""
    room = (MAX_LINE - len(name) - 2 - 12) // 4 * 3  # UTF-8 bytes per encoded word: every line fits in 78
    for char in value:  # whole characters in each word
        if len((chunk + char).encode()) > room:
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word.encode()).decode()}?=" for word in words)


def address_value(name: str, value: str) -> str:
    """An address header: a non-ASCII display name encoded; a non-ASCII address kept in raw UTF-8 (SMTPUTF8)."""
    if value.isascii():
        return value
    display, address = parseaddr(value)
    return formataddr((display, address), charset="utf-8") if address.isascii() else value


Chunks = list[bytes]  # a part as pieces, joined once at the end (each big concatenation copied ~100 KB again)


def _text_part(body: str, subtype: str) -> Chunks:
    lines = body.encode("utf-8").splitlines()
    head = f"Content-Type: text/{subtype}; charset=\"utf-8\"\r\n".encode()
    if max((len(line) for line in lines), default=0) <= MAX_LINE:
        cte = b"7bit" if all(line.isascii() for line in lines) else b"8bit"
        payload = CRLF.join(lines) + CRLF
    else:
        cte = b"quoted-printable"
        payload = binascii.b2a_qp(b"\n".join(lines) + b"\n", istext=True).replace(b"\n", CRLF)
    return [head, b"Content-Transfer-Encoding: ", cte, CRLF, CRLF, payload]


def _filename(name: str) -> str:
    if name.isascii() and name.isprintable() and '"' not in name and "\\" not in name:
        return f'filename="{name}"'
    from email.utils import encode_rfc2231

    return "filename*=" + encode_rfc2231(name, "utf-8")


def _attachment(filename: str, mime_type: str, content: bytes) -> Chunks:
    maintype, _, subtype = mime_type.partition("/")
    return [(f"Content-Type: {maintype}/{subtype or 'octet-stream'}\r\nContent-Transfer-Encoding: base64\r\n"
             f"Content-Disposition: attachment; {_filename(filename)}\r\n\r\n").encode(), _base64_lines(content)]


def _base64_lines(content: bytes) -> bytes:
    """Base64 in lines of 76 characters, CRLF-terminated (`base64.encodebytes` loops over 57-byte chunks)."""
    encoded = base64.b64encode(content)
    return CRLF.join([encoded[start:start + 76] for start in range(0, len(encoded), 76)]) + CRLF if encoded else b""


def _multipart(subtype: str, parts: Sequence[Chunks]) -> Chunks:
    boundary = b""
    while not boundary or any(boundary in chunk for part in parts for chunk in part):  # never found in a part
        boundary = b"=_jo_" + secrets.token_hex(16).encode()
    out = [b"Content-Type: multipart/" + subtype.encode() + b";\r\n boundary=\"" + boundary + b"\"" + CRLF + CRLF]
    for index, part in enumerate(parts):
        out.append((CRLF if index else b"") + b"--" + boundary + CRLF)
        out.extend(part)
    out.append(CRLF + b"--" + boundary + b"--" + CRLF)
    return out


def mime_bytes(headers: Iterable[tuple[str, str]], text: str, html: str | None = None,
               attachments: Iterable[tuple[str, str, bytes]] = ()) -> bytes:
    """The whole message: `headers` (already encoded values, see `header_value`) then the MIME body."""
    body = _text_part(text, "plain")
    if html is not None:
        body = _multipart("alternative", [body, _text_part(html, "html")])
    files = [_attachment(*attachment) for attachment in attachments]
    if files:
        body = _multipart("mixed", [body, *files])
    head = "".join(f"{name}: {value}\r\n" for name, value in headers) + "MIME-Version: 1.0\r\n"
    return b"".join([head.encode("utf-8"), *body])  # UTF-8 only with a non-ASCII address
