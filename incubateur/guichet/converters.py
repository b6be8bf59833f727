"""The public reference of a request (`Ticket.reference`, e.g. `G-7K3Q-M2XR`) and its path converter,
`<ticket:reference>`.

A request is named to people by its reference, never by its primary key: ids are sequential, so a gap in what a
member of the Incubator sees (a list, a page's address, an e-mail) would tell that a confidential request was made
in between. The reference is random, drawn at creation from an alphabet without the characters people confuse
(no 0/O, 1/I/L, nor U), and unique (a constraint). Eight characters of 30: about 6.6 × 10¹¹ references, so that
even a few hundred thousand requests almost never draw the same one twice (the constraint refuses it if they do).

The addresses of request pages use the converter: a reference typed in lower case is the same request; anything
else matches no route (a 404). Registered when this module is imported (by the URLconf).
"""

import re
import secrets

from django.urls import register_converter

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "G"
GROUPS = (4, 4)
LENGTH = len(PREFIX) + sum(GROUPS) + len(GROUPS)  # "G-XXXX-XXXX"

_GROUPS_RE = "-".join(f"[{ALPHABET}{ALPHABET.lower()}]{{{n}}}" for n in GROUPS)
PATTERN = f"[{PREFIX}{PREFIX.lower()}]-{_GROUPS_RE}"


def is_reference(value: str) -> bool:
    """Whether `value` is written as a reference (in any case)."""
    return isinstance(value, str) and re.fullmatch(PATTERN, value) is not None


def new_reference() -> str:
    """A fresh random reference, `G-` and two groups of four characters."""
    return "-".join([PREFIX, *("".join(secrets.choice(ALPHABET) for _ in range(n)) for n in GROUPS)])


class TicketReferenceConverter:
    regex = PATTERN

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(TicketReferenceConverter, "ticket")
