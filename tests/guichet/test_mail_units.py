"""The rules of the guichet by e-mail without servers: reply tokens, sender verification, parsing (Hypothesis: no
input crashes it), loop signs."""

from email.message import EmailMessage

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from incubateur.guichet.mail import auth, fetch, tokens
from incubateur.guichet.mail.parse import html_to_text, parse


class Obj:
    def __init__(self, pk, reference="G-7K3Q-M2XR"):
        self.pk, self.reference = pk, reference


def raw(headers: dict, body="Bonjour.") -> bytes:
    message = EmailMessage()
    for name, value in headers.items():
        message[name] = value
    message.set_content(body)
    return bytes(message)


# --- Tokens ----------------------------------------------------------------------------------------------------


@given(ticket=st.integers(min_value=1, max_value=10**9), user=st.integers(min_value=1, max_value=10**9))
def test_a_token_names_its_request_and_recipient_and_fits_in_an_address(ticket, user):
    token = tokens.make_token(Obj(ticket), Obj(user))
    assert tokens.read_token(token) == (ticket, user)
    assert all(c.isalnum() or c in "-_." for c in token)


@given(st.text(max_size=80))
def test_no_text_but_a_signed_token_is_read(text):
    assert tokens.read_token(text) is None or text == tokens.make_token(Obj(1), Obj(1))


def test_a_token_altered_by_one_character_is_refused():
    token = tokens.make_token(Obj(12), Obj(34))
    other = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert tokens.read_token(other) is None
    assert tokens.read_token(token.replace("c.", "d.", 1)) is None  # another request, same signature


def test_tokens_survive_a_key_rotation_through_the_fallbacks(settings):
    settings.SECRET_KEY = "ancienne-cle-" + "x" * 40
    token = tokens.make_token(Obj(5), Obj(6))
    settings.SECRET_KEY = "nouvelle-cle-" + "y" * 40
    assert tokens.read_token(token) is None
    settings.SECRET_KEY_FALLBACKS = ["ancienne-cle-" + "x" * 40]
    assert tokens.read_token(token) == (5, 6)


@override_settings(MAIL_INTAKE_REPLY_ADDRESS="Guichet@Incubateur.test")
def test_the_token_is_read_only_from_the_reply_address_plus_tag():
    assert tokens.token_in("guichet+abc.def@incubateur.test") == "abc.def"
    assert tokens.token_in("GUICHET+abc@INCUBATEUR.TEST") == "abc"
    assert tokens.token_in("guichet@incubateur.test") is None
    assert tokens.token_in("autre+abc@incubateur.test") is None
    assert tokens.token_in("guichet+abc@ailleurs.test") is None


@override_settings(MAIL_INTAKE_REPLY_ADDRESS="")
def test_without_a_reply_address_there_is_no_reply_by_mail():
    assert tokens.reply_address(Obj(1), Obj(2)) is None
    assert tokens.token_in("guichet+abc@incubateur.test") is None


# --- Sender verification ----------------------------------------------------------------------------------------


def _with(sender, results):
    head = "".join(f"Authentication-Results: {r}\r\n" for r in results).encode()
    return head + raw({"From": sender, "To": "guichet@incubateur.test"})


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        (["mx.test; dkim=pass header.d=beta.gouv.fr"], True),
        (["mx.test; spf=pass smtp.mailfrom=camille@beta.gouv.fr"], True),
        (["mx.test; dkim=pass header.i=@sous.beta.gouv.fr"], False),  # a sub-domain does not vouch for its parent
        (["mx.test; dkim=pass header.d=gouv.fr"], True),  # the parent domain signs for its sub-domains (relaxed)
        (["mx.test; dkim=fail header.d=beta.gouv.fr; spf=softfail smtp.mailfrom=camille@beta.gouv.fr"], False),
        (["mx.test; dkim=pass header.d=evil.test"], False),  # signed, by someone else
        (["autre.mx; dkim=pass header.d=beta.gouv.fr"], False),  # a header we do not trust (anyone can write one)
        (["mx.test 1; spf=pass smtp.mailfrom=beta.gouv.fr"], True),  # with a version number
        ([], False),
    ],
)
def test_a_sender_is_verified_only_by_the_trusted_servers_pass_for_its_domain(settings, results, expected):
    settings.MAIL_INTAKE_TRUSTED_AUTHSERV_ID = "mx.test"
    assert auth.verified(parse(_with("Camille <camille@beta.gouv.fr>", results))) is expected


def test_without_a_trusted_server_the_check_is_off_in_development_only(settings):
    settings.MAIL_INTAKE_TRUSTED_AUTHSERV_ID = ""
    message = parse(_with("camille@beta.gouv.fr", []))
    settings.DEBUG = True
    assert auth.verified(message) is True
    settings.DEBUG = False
    assert auth.verified(message) is False


# --- Parsing ------------------------------------------------------------------------------------------------------


@hsettings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=2000))
def test_parsing_never_crashes_on_any_bytes(data):
    message = parse(data)
    message.automatic(), message.bounce(), message.reply_text()
    assert len(message.sha256) == 64


@hsettings(max_examples=100, deadline=None)
@given(st.text(max_size=300), st.text(max_size=80))
def test_parsing_never_crashes_on_any_header_or_body(body, subject):
    message = EmailMessage()
    message["From"] = "camille@beta.gouv.fr"
    try:
        message["Subject"] = subject
    except ValueError:
        return  # not a header the standard library writes
    message.set_content(body)
    parsed = parse(bytes(message))
    assert parsed.sender == "camille@beta.gouv.fr"
    parsed.reply_text()


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Auto-Submitted": "auto-replied"}, "réponse automatique (Auto-Submitted: auto-replied)"),
        (
            {"Auto-Submitted": "auto-generated; owner-email=x@y"},
            "réponse automatique (Auto-Submitted: auto-generated)",
        ),
        ({"Auto-Submitted": "no"}, None),
        ({"Precedence": "list"}, "envoi en nombre (Precedence: list)"),
        ({"Precedence": "junk"}, "envoi en nombre (Precedence: junk)"),
        ({"X-Autoreply": "yes"}, "réponse automatique (X-Autoreply)"),
        ({"X-Incubateur-Notification": "12"}, "notification de la plateforme"),
        ({}, None),
    ],
)
def test_automatic_mails_are_recognised(headers, why):
    assert parse(raw({"From": "camille@beta.gouv.fr", **headers})).automatic() == why


def test_bounces_are_recognised():
    assert parse(b"Return-Path: <>\r\n" + raw({"From": "camille@beta.gouv.fr"})).bounce()
    assert parse(raw({"From": "MAILER-DAEMON@exemple.org"})).bounce()
    assert parse(raw({"To": "guichet@incubateur.test"})).bounce() == "aucun expéditeur"
    assert parse(b"Return-Path: <camille@beta.gouv.fr>\r\n" + raw({"From": "camille@beta.gouv.fr"})).bounce() is None


def test_an_html_only_mail_is_read_as_text_and_quotes_are_stripped():
    message = EmailMessage()
    message["From"] = "camille@beta.gouv.fr"
    message.set_content("<p>Merci&nbsp;!</p><script>alert(1)</script><blockquote>ancien</blockquote>", subtype="html")
    assert parse(bytes(message)).text == "Merci\xa0!\nancien"
    assert html_to_text("<div>a<br>b</div>") == "a\nb"
    reply = parse(raw({"From": "c@beta.gouv.fr"}, "D'accord.\n\nLe 7 déc. 2026, X <x@y.fr> a écrit :\n> avant\n"))
    assert reply.reply_text() == "D'accord."


def test_several_mailboxes_with_encoded_passwords_are_read_from_the_setting():
    boxes = fetch.mailboxes(
        "imaps://guichet:p%40ss%2Cw@mail.example.org/INBOX, imap://autre:x@127.0.0.1:1143/Guichet%20DINUM"
    )
    assert [(b.scheme, b.host, b.port, b.user, b.password, b.folder) for b in boxes] == [
        ("imaps", "mail.example.org", 993, "guichet", "p@ss,w", "INBOX"),
        ("imap", "127.0.0.1", 1143, "autre", "x", "Guichet DINUM"),
    ]
    assert "p@ss" not in boxes[0].label
    with pytest.raises(ValueError):
        fetch.mailboxes("pop3://x:y@host/")
