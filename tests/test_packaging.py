"""The wheel ships templates/ and static/ and works from a fresh venv outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("resque_web-*.whl")
    return found


def test_wheel_contains_templates_and_static(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "resque_web/__init__.py" in names
    assert any(n.startswith("resque_web/templates/") and n.endswith(".html") for n in names)
    assert any(n.startswith("resque_web/static/") and n.endswith(".css") for n in names)


@pytest.mark.slow
def test_installed_wheel_enqueues_from_a_fresh_venv(
    wheel: Path, tmp_path: Path, redis_url: str
) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    installed = subprocess.run(
        [python, "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr
    script = (
        "import resque_web, pathlib;"
        "assert 'site-packages' in resque_web.__file__, resque_web.__file__;"
        f"r = resque_web.Resque({redis_url!r});"
        "r.enqueue_to('wheel', 'Archive', 35, 'tar');"
        "print(r.peek('wheel'))"
    )
    result = subprocess.run(
        [python, "-c", script], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    assert result.stdout.strip() == "{'class': 'Archive', 'args': [35, 'tar']}"
    cli = env_dir / "bin" / "resque-web"
    out = subprocess.run(
        [cli, "enqueue", "--redis", redis_url, "--queue", "wheel", "Archive", "36", '"tar"'],
        cwd=tmp_path, check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert "enqueued Archive" in out.stdout
    # The dashboard finds its templates and assets inside the installed package.
    page = (
        "from resque_web.web import create_app;"
        f"c = create_app({{'REDIS_URL': {redis_url!r}}}).test_client();"
        "p = c.get('/queues'); s = c.get('/static/css/resque-web.css');"
        "print(p.status_code, s.status_code, b'wheel' in p.data)"
    )
    result = subprocess.run(
        [python, "-c", page], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    assert result.stdout.split() == ["200", "200", "True"]
