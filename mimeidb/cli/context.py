"""What every CLI handler gets: the home, the API client and the output mode."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import orjson

from mimeidb.cli.client import ApiClient
from mimeidb.config import Home


@dataclass
class CliContext:
    home: Home
    json: bool = False
    _api: ApiClient | None = field(default=None, repr=False)

    @property
    def api(self) -> ApiClient:
        if self._api is None:
            self._api = ApiClient(self.home)
        return self._api

    def emit(self, data: Any, *lines: str) -> None:
        """Print `data` as JSON under --json, else the human lines."""
        if self.json:
            sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
        else:
            for line in lines:
                print(line)
