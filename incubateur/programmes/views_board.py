"""Placeholder: the pages are being written (every route answers 404 until then)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


def __getattr__(name):
    return _todo
