"""The units' web pages (FastAPI, server-rendered): report pages behind signed links, and Ba công khai."""

from web.app import create_app

__all__ = ["create_app"]
