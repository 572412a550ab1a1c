"""Dashboards on the real Redis: ``client`` (namespace resque, from tests/conftest.py) and
``mq_client`` (namespace resque_mq, the multi-queue failure backend)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from resque_web.web import create_app


@pytest.fixture
def mq_app(redis_url: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "REDIS_URL": redis_url,
            "RESQUE_NAMESPACE": "resque_mq",
        }
    )


@pytest.fixture
def mq_client(mq_app: Flask) -> FlaskClient:
    return mq_app.test_client()
