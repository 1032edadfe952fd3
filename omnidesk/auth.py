"""The authentication backend's dotted path as settings and stored sessions name it.

Every logged-in session records `omnidesk.auth.ProfileModelBackend`; the backend itself
lives with the agent profiles it loads (`agents.auth`)."""

from agents.auth import ProfileModelBackend

__all__ = ["ProfileModelBackend"]
