"""HTTP layer: one router per resource, schemas, and the one error mapping."""

from .app import create_app

__all__ = ["create_app"]
