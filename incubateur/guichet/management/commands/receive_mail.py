"""`manage.py receive_mail < message.eml`: one RFC 5322 message on standard input (a mail server's pipe transport,
e.g. Postfix `pipe` or an alias `|/app/manage.py receive_mail`).

Exit status: 0 when the message is processed (or was already), 75 (EX_TEMPFAIL) when it could not be (the mail
server keeps it and retries), 65 (EX_DATAERR) for an empty input.
"""

import sys

from django.core.management.base import BaseCommand

from incubateur.guichet.mail.intake import receive

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Lit un e-mail sur l'entrée standard et le remet au guichet (transport « pipe » d'un serveur de courrier)."

    def add_arguments(self, parser):
        parser.add_argument("--source", default="stdin", help="Ce qui est noté comme provenance (défaut : stdin).")

    def handle(self, *args, source="stdin", **options):
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            self.stderr.write("Aucun message sur l'entrée standard.")
            sys.exit(EX_DATAERR)
        try:
            outcome = receive(raw, source=source)
        except Exception as exc:
            self.stderr.write(f"Message non traité ({type(exc).__name__}: {exc}) : à renvoyer plus tard.")
            sys.exit(EX_TEMPFAIL)
        state = "déjà reçu" if outcome.duplicate else outcome.result
        self.stdout.write(f"n°{outcome.mail.pk} : {state} — {outcome.reason}")
