"""The node home: SystemVars.json (settings), the node key, the API token and the database.

Home resolution: an explicit --home, else $MIMEIDB_HOME, else ~/.mimeidb.
Secrets (node key, API token, mmsid secret) are written with mode 0600.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import orjson

from mimeidb.keys import KEY_FILE_MODE, KeyPair

SETTINGS_FILE = "SystemVars.json"
KEY_FILE = "node.key"
TOKEN_FILE = "api.token"
SECRET_FILE = "node.secret"
PID_FILE = "mimeidb.pid"
LOCK_FILE = "mimeidb.lock"
LOG_FILE = "mimeidb.log"
DB_DIR = "db"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def default_home() -> Path:
    env = os.environ.get("MIMEIDB_HOME")
    return Path(env).expanduser() if env else Path.home() / ".mimeidb"


@dataclass
class Settings:
    """What SystemVars.json holds; field names are the file's keys."""

    Port: int = 4800
    RespPort: int = 4801
    P2PPort: int = 4802
    Bind: str = "0.0.0.0"
    Bootstrap: list[str] = field(default_factory=list)
    AppendFsync: str = "everysec"
    LogLevel: str = "INFO"
    DefaultMimei: str = ""
    MaxClients: int = 10000
    MDNS: bool = True  # advertise and find nodes on the LAN by mDNS (replication/mdns.py)

    def validate(self) -> None:
        for name in ("Port", "RespPort", "P2PPort"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= 65535:
                raise ValueError(f"{name} must be a TCP port (1-65535), got {value!r}")
        if len({self.Port, self.RespPort, self.P2PPort}) != 3:
            raise ValueError("the HTTP, RESP and p2p ports must differ")
        if self.AppendFsync not in ("always", "everysec", "no"):
            raise ValueError("AppendFsync must be always, everysec or no")
        if not isinstance(self.MDNS, bool):
            raise ValueError(f"MDNS must be true or false, got {self.MDNS!r}")  # noqa: TRY004 - a bad settings file
        if self.LogLevel.upper() not in LOG_LEVELS:
            raise ValueError(f"LogLevel must be one of {', '.join(LOG_LEVELS)}")


def _write_secret(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEY_FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, KEY_FILE_MODE)


class Home:
    """A node's home directory and the files in it."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path).expanduser().resolve() if path else default_home().resolve()

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def initialized(self) -> bool:
        return self.file(KEY_FILE).exists() and self.file(SETTINGS_FILE).exists()

    def ensure(self) -> bool:
        """Create what is missing (dir, key, token, secret, settings); True if it made a new node."""
        try:
            self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise ValueError(f"cannot create home {self.path}: {exc.strerror}") from exc
        if not os.access(self.path, os.R_OK | os.W_OK | os.X_OK):
            raise ValueError(f"home {self.path} is not readable and writable")
        created = False
        if not self.file(KEY_FILE).exists():
            KeyPair.generate().save(self.file(KEY_FILE))
            created = True
        if not self.file(TOKEN_FILE).exists():
            _write_secret(self.file(TOKEN_FILE), secrets.token_hex(32).encode())
        if not self.file(SECRET_FILE).exists():
            _write_secret(self.file(SECRET_FILE), secrets.token_bytes(32))
        if not self.file(SETTINGS_FILE).exists():
            self.save_settings(Settings())
        return created

    def load_settings(self) -> Settings:
        path = self.file(SETTINGS_FILE)
        try:
            doc = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            return Settings()
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read {path}: {exc}") from exc
        known = {f.name for f in fields(Settings)}
        settings = Settings(**{k: v for k, v in doc.items() if k in known})
        settings.validate()
        return settings

    def save_settings(self, settings: Settings) -> None:
        settings.validate()
        path = self.file(SETTINGS_FILE)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(orjson.dumps(asdict(settings), option=orjson.OPT_INDENT_2) + b"\n")
        os.replace(tmp, path)

    def key(self) -> KeyPair:
        return KeyPair.load(self.file(KEY_FILE))

    def token(self) -> str:
        return self.file(TOKEN_FILE).read_text().strip()

    def secret(self) -> bytes:
        return self.file(SECRET_FILE).read_bytes()
