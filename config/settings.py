"""Settings from the environment (DONDOC_*) with defaults that work from a fresh clone."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent
PROJECT_DIR = CONFIG_DIR.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DONDOC_", extra="ignore")

    state_dir: Path = Field(default=PROJECT_DIR / ".state", description="Local state: SQLite files, Prefect home")
    database_url: str = Field(default="", description="SQLAlchemy URL; default SQLite in state_dir")
    units_file: Path = CONFIG_DIR / "units_haiphong.yaml"
    registry_file: Path = CONFIG_DIR / "registry.yaml"
    calendar_file: Path = CONFIG_DIR / "calendar_overrides.yaml"
    policies_file: Path = CONFIG_DIR / "policies.yaml"
    contacts_file: Path | None = Field(default=None, description="Apprise URLs of units and people (not in git)")
    max_import_bytes: int = 10 * 1024 * 1024
    actor: str = Field(default="", description="Who the CLI acts as in the audit log (default: $USER)")

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'dondoc.db'}"

    @property
    def contacts_path(self) -> Path:
        return self.contacts_file or self.state_dir / "contacts.yaml"


@lru_cache
def get_settings() -> Settings:
    return Settings()
