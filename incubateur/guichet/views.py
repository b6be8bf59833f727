"""Placeholder: the pages are being written (every route answers 404 until then)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


home = new = mine = ticket = reply = status = assign = add_participant = _todo
offers = offer = offer_accept = offer_decline = offer_withdraw = _todo
desk = new_on_behalf = offer_new = routing = routing_new = routing_edit = routing_delete = _todo
