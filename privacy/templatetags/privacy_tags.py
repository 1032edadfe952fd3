from __future__ import annotations

from django import template
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from agents.roles import sees_everything

register = template.Library()


@register.filter
def handles_data_requests(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether `user` may export or erase a customer (supervisors and admins)."""
    return sees_everything(user)
