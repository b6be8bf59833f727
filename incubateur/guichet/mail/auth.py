"""Is the sender verified? The receiving server (MAIL_INTAKE_TRUSTED_AUTHSERV_ID) checked DKIM and SPF and wrote an
`Authentication-Results` header (RFC 8601): we trust only its header (anyone can write one), and require
`dkim=pass` with `header.d` (or `header.i`) in the sender's domain, or `spf=pass` with `smtp.mailfrom` in it.

Unset: off under DEBUG (development: every sender is taken as verified), and nobody is verified otherwise.
"""

import re

from django.conf import settings

_RESULT = re.compile(r"\b(dkim|spf)\s*=\s*(\w+)([^;]*)", re.IGNORECASE)
_PROPERTY = re.compile(r"\b(header\.d|header\.i|smtp\.mailfrom|smtp\.from)\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)


def _same_domain(value: str, domain: str) -> bool:
    value = value.rpartition("@")[2].lower().strip(".")
    return bool(domain) and (value == domain or domain.endswith("." + value))


def verified(inbound) -> bool:
    trusted = settings.MAIL_INTAKE_TRUSTED_AUTHSERV_ID
    if not trusted:
        return bool(settings.DEBUG) and bool(inbound.sender)
    domain = inbound.sender_domain.lower()
    for header in inbound.message.get_all("Authentication-Results", []):
        text = " ".join(str(header).split())
        authserv = text.split(";", 1)[0].strip().split()[0] if text.strip() else ""
        if authserv.lower() != trusted.lower():
            continue
        for method, result, rest in _RESULT.findall(text):
            if result.lower() != "pass":
                continue
            for name, value in _PROPERTY.findall(rest):
                name = name.lower()
                if method.lower() == "dkim" and name in ("header.d", "header.i") and _same_domain(value, domain):
                    return True
                if method.lower() == "spf" and name in ("smtp.mailfrom", "smtp.from") and _same_domain(value, domain):
                    return True
    return False
