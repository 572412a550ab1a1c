"""The blueprint in a host app: under a prefix, behind SCRIPT_NAME, behind the host's own
auth, next to a second dashboard, with a plugin tab, and with host templates of the same name."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from flask import Flask, Response, redirect, request, session, url_for

from resque_web.web import (
    DashboardBlueprint,
    Tab,
    create_app,
    make_blueprint,
    register_tab,
    render_page,
)

from .html import forms, links, parse, text


@pytest.fixture(autouse=True)
def _data(ruby_data: redis.Redis) -> None:
    """Every test here reads the Ruby fixture."""


PAGES = [
    "/overview",
    "/working",
    "/failed",
    "/queues",
    "/queues/default",
    "/workers",
    "/workers/all",
    "/stats/resque",
    "/stats/keys",
]


def own_links(html: bytes) -> list[str]:
    return [h for h in links(html) if h.startswith("/")]


def assets(html: bytes) -> list[str]:
    doc = parse(html)
    return [s.attrs["src"] for s in doc.iter("script")] + [
        link.attrs["href"] for link in doc.iter("link") if "href" in link.attrs
    ]


def test_every_link_respects_the_prefix(redis_url: str) -> None:
    host = Flask("host")
    host.secret_key = "s"
    host.register_blueprint(make_blueprint(redis_url=redis_url), url_prefix="/resque")
    client = host.test_client()
    assert client.get("/resque/").headers["Location"] == "/resque/overview"
    for url in PAGES:
        html = client.get(f"/resque{url}").data
        assert all(h.startswith("/resque/") for h in own_links(html)), url
        assert all(a.startswith("/resque/static/") for a in assets(html)), url
        assert all(f["_action"].startswith("/resque/") for f in forms(html)), url
    assert client.get("/resque/static/js/resque-web.js").status_code == 200
    response = client.post("/resque/queues/mailers", data={"action": "clear"})
    assert response.headers["Location"] == "/resque/queues/mailers"


def test_create_app_with_a_prefix_and_behind_script_name(redis_url: str) -> None:
    app = create_app({"TESTING": True, "REDIS_URL": redis_url, "RESQUE_WEB_URL_PREFIX": "jobs/"})
    client = app.test_client()
    assert client.get("/").headers["Location"] == "/jobs/"
    html = client.get("/jobs/queues", base_url="http://localhost/proxy").data
    assert all(h.startswith("/proxy/jobs/") for h in own_links(html))
    assert all(a.startswith("/proxy/jobs/static/") for a in assets(html))


def test_the_host_apps_auth_protects_the_dashboard(redis_url: str, r: redis.Redis) -> None:
    host = Flask("host")
    host.secret_key = "s"

    @host.before_request
    def require_login() -> Response | None:
        if request.endpoint not in ("login", "static") and not session.get("user"):
            return redirect(url_for("login", next=request.path))
        return None

    @host.route("/login", methods=["GET", "POST"])
    def login() -> Response | str:
        if request.method == "POST":
            session["user"] = "ops"
            return redirect(request.args.get("next", "/"))
        return "login form"

    host.register_blueprint(make_blueprint(redis_url=redis_url), url_prefix="/admin/resque")
    client = host.test_client()
    for url in (
        "/admin/resque/overview",
        "/admin/resque/api/v1/stats",
        "/admin/resque/static/css/resque-web.css",
    ):
        assert client.get(url).headers["Location"].startswith("/login"), url
    assert client.post("/admin/resque/queues/mailers", data={"action": "clear"}).status_code == 302
    assert r.llen("resque:queue:mailers") == 303
    client.post("/login?next=/admin/resque/overview")
    assert client.get("/admin/resque/overview").status_code == 200
    assert client.post("/admin/resque/queues/mailers", data={"action": "clear"}).status_code == 303
    assert r.llen("resque:queue:mailers") == 0


def test_two_dashboards_side_by_side(redis_url: str) -> None:
    host = Flask("host")
    host.register_blueprint(make_blueprint(redis_url=redis_url), url_prefix="/a")
    host.register_blueprint(
        make_blueprint(redis_url=redis_url, namespace="resque_mq", name="mq"), url_prefix="/b"
    )
    client = host.test_client()
    assert "2,024 jobs" in text(client.get("/a/queues").data)
    html = client.get("/b/queues").data
    assert "7 jobs" in text(html)
    assert all(h.startswith("/b/") for h in own_links(html))


def test_host_templates_do_not_shadow_ours(redis_url: str, tmp_path: Path) -> None:
    (tmp_path / "layout.html").write_text("HOST LAYOUT")
    (tmp_path / "queues").mkdir()
    (tmp_path / "queues" / "index.html").write_text("HOST QUEUES")
    host = Flask("host", template_folder=str(tmp_path))
    host.register_blueprint(make_blueprint(redis_url=redis_url), url_prefix="/resque")
    html = host.test_client().get("/resque/queues").data
    assert b"HOST" not in html and b"2,024 jobs" in html
    assert "number" not in host.jinja_env.filters  # our filters stay ours


def calendar_plugin(bp: DashboardBlueprint) -> None:
    """A plugin as a third party writes one: a route, a template and a tab."""
    folder = Path(__file__).parent / "plugin_templates"
    bp.add_template_folder(folder)

    @bp.route("/calendar")
    def calendar() -> str:
        return render_page("calendar/index.html", title="Calendar", entries=["nightly at 02:00"])

    register_tab(bp, Tab("calendar", "Calendar", ".calendar", order=55))


def test_a_plugin_adds_a_tab_and_a_page(redis_url: str) -> None:
    host = Flask("host")
    host.register_blueprint(
        make_blueprint(redis_url=redis_url, plugins=[calendar_plugin]), url_prefix="/resque"
    )
    client = host.test_client()
    html = client.get("/resque/calendar").data
    nav = parse(html).find("nav", "tabs")
    assert [a.text() for a in nav.iter("a")] == [
        "Overview",
        "Working",
        "Failed",
        "Queues",
        "Workers",
        "Calendar",
        "Stats",
        "Audit",
    ]
    assert nav.find("li", "current").text() == "Calendar"
    assert "nightly at 02:00" in text(html)
    assert "/resque/calendar" in links(client.get("/resque/overview").data)


def test_plugins_from_config_strings(redis_url: str) -> None:
    app = create_app(
        {
            "TESTING": True,
            "REDIS_URL": redis_url,
            "RESQUE_WEB_PLUGINS": "tests.web.test_mounting:calendar_plugin",
        }
    )
    assert app.test_client().get("/calendar").status_code == 200


def test_tab_endpoints_must_be_relative(redis_url: str) -> None:
    bp = make_blueprint(redis_url=redis_url)
    with pytest.raises(ValueError, match="relative"):
        register_tab(bp, Tab("x", "X", "other.view"))


def test_a_tab_can_hide_itself_per_request(redis_url: str) -> None:
    """``Tab.visible`` is asked on every page: a plugin's tab hides where it has nothing."""
    shown = {"now": False}

    def plugin(bp: DashboardBlueprint) -> None:
        calendar_plugin(bp)
        register_tab(bp, Tab("calendar", "Calendar", ".calendar", 55, lambda: shown["now"]))

    host = Flask("host")
    host.register_blueprint(make_blueprint(redis_url=redis_url, plugins=[plugin]), url_prefix="/r")
    client = host.test_client()
    assert "/r/calendar" not in links(client.get("/r/overview").data)
    assert client.get("/r/calendar").status_code == 200  # hidden from the nav, still served
    shown["now"] = True
    assert "/r/calendar" in links(client.get("/r/overview").data)
