"""ASGI entry point: `uvicorn gateway.main:create_app --factory`."""

from gateway.app import create_app

__all__ = ["create_app"]
