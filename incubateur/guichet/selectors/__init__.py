"""Reads of the guichet's pages, by audience: `requester` (the kinds, « Mes demandes », the request page) and `desk`
(the staff desk, the offers of help, the routing table). Scopes and filters are QuerySet methods on the models."""
