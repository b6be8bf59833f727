"""The guichet by e-mail (#18): mails become requests, replies by e-mail land in the thread.

- `parse`: a raw RFC 5322 message → `Inbound` (stdlib `email`, `policy.default`), loop and bounce signs, attachments;
- `auth`: is the sender verified (`Authentication-Results` of the trusted server)?
- `tokens`: the signed reply tokens of `Reply-To`, and the thread headers of every notification about a request;
- `intake`: `receive(raw, source=…)`, the one entry point of `fetch_mail` (IMAP) and `receive_mail` (stdin);
- `fetch`: the IMAP client (flags a message only after its commit) and the worker's hook.

Kept light on purpose (no imports here): `services._shared` imports `tokens`, and `intake` imports the services.
"""
