"""API list pages: limit/offset with a ceiling, so `?limit=1000000000` cannot make one
request read everything a user may see."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 200
