"""Joining: a new member or product, proposed by the community and validated by its incubator (#14)."""

urlpatterns: list = []
