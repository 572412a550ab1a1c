"""Where the templates and static files are: inside the package when installed from a
wheel (hatch force-includes them as ``resque_web/templates`` and ``resque_web/static``),
at the top of the checkout when running from source."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def asset_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(
        f"resque-web's {name}/ folder is missing: looked in {_PACKAGE / name} (wheel) and "
        f"{_PACKAGE.parent / name} (checkout). Reinstall the package."
    )


TEMPLATES = asset_dir("templates")
STATIC = asset_dir("static")
