"""Settings from the environment (DONDOC_*) with defaults that work from a fresh clone."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent
PROJECT_DIR = CONFIG_DIR.parent


class LockWaits(BaseSettings):
    """SQLite has one writer at a time: how long a statement waits for the lock, and how long a transaction is
    tried again after that. The process's engine reads these alone (DONDOC_SQLITE_*), so that another broken
    setting never keeps the database from opening (`dondoc doctor` reports it)."""

    model_config = SettingsConfigDict(env_prefix="DONDOC_", extra="ignore")

    sqlite_busy_timeout_ms: int = Field(default=30000, ge=0, description="Wait for another writer, per statement")
    sqlite_lock_limit_seconds: float = Field(default=300, ge=0, description="Retry a locked transaction this long")


class Settings(LockWaits):
    model_config = SettingsConfigDict(env_prefix="DONDOC_", extra="ignore")

    state_dir: Path = Field(default=PROJECT_DIR / ".state", description="Local state: SQLite files, Prefect home")
    database_url: str = Field(default="", description="SQLAlchemy URL; default SQLite in state_dir")
    units_file: Path = CONFIG_DIR / "units_haiphong.yaml"
    registry_file: Path = CONFIG_DIR / "registry.yaml"
    calendar_file: Path = CONFIG_DIR / "calendar_overrides.yaml"
    policies_file: Path = CONFIG_DIR / "policies.yaml"
    drafting_file: Path = CONFIG_DIR / "drafting.yaml"
    contacts_file: Path | None = Field(default=None, description="Apprise URLs of units and people (not in git)")
    max_import_bytes: int = 10 * 1024 * 1024
    actor: str = Field(default="", description="Who the CLI acts as in the audit log (default: $USER)")
    public_url: str = Field(default="http://127.0.0.1:8000", description="Where units open their report links")
    link_secret: SecretStr | None = Field(default=None, description="Signs report links (default: a key in state_dir)")
    link_days: int = Field(default=90, ge=1, description="How long a report link stays valid")
    max_evidence_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="Largest evidence file")

    # Delivery: how hard the dispatcher tries, and where Zalo lives (a local fake in tests).
    dispatch_concurrency: int = Field(default=8, ge=1, le=64, description="Messages in flight at once")
    dispatch_batch: int = Field(default=200, ge=1, description="Rows claimed at a time")
    dispatch_max_attempts: int = Field(default=10, ge=1, description=(
        "Attempts before a message is dead-lettered: at the default backoff, retries last about 8 hours"))
    dispatch_backoff_seconds: int = Field(default=60, ge=1, description="First retry delay; doubles each attempt")
    chase_shards: int = Field(default=1, ge=1, le=64, description="Workers the scheduled chase shares its sending with")
    dispatch_lease_seconds: int = Field(default=300, ge=10, description="A claim older than this is taken back")
    zalo_api_url: str = "https://openapi.zalo.me"
    zns_api_url: str = "https://business.openapi.zalo.me"
    zalo_oauth_url: str = "https://oauth.zaloapp.com"
    zalo_app_secret: SecretStr | None = Field(default=None, description="The Zalo app's secret key (token refresh)")

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'dondoc.db'}"

    @property
    def evidence_dir(self) -> Path:
        return self.state_dir / "evidence"

    @property
    def contacts_path(self) -> Path:
        return self.contacts_file or self.state_dir / "contacts.yaml"


@lru_cache
def get_settings() -> Settings:
    return Settings()
