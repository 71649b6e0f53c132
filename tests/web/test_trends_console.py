"""The trends pages: the day's topics, a topic's page, and bad input refused in Vietnamese."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import log_in
from tests.web.test_registries_console import outreach_app  # noqa: F401 - fixture


def test_the_topics_and_a_topic_page(client: TestClient, outreach_app: FastAPI, staff: int) -> None:  # noqa: F811
    log_in(client)
    page = client.get("/trends")
    assert page.status_code == 200 and "thu phí" in page.text and 'class="topic' in page.text
    assert "/trends/topic?term=thu%20phi" in page.text
    topic = client.get("/trends/topic", params={"term": "thu phi"})
    assert topic.status_code == 200 and topic.text.count('class="topic-item"') == 3
    assert "Hà Nội thu phí xe máy" in topic.text or "thu phí xe máy" in topic.text
    hostile = client.get("/trends/topic", params={"term": "<script>alert(1)</script>"})
    assert hostile.status_code == 200 and "<script>alert" not in hostile.text and "&lt;script&gt;" in hostile.text
    refused = client.get("/trends", params={"day": "27/11/2026"})
    assert refused.status_code == 422 and "năm-tháng-ngày" in refused.text
    assert client.get("/trends", params={"span": 3}).status_code == 422
