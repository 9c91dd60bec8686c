"""The web page in a real browser against the real server.

The server runs as a subprocess on a loopback port and builds its index with
the real default model in a temporary folder; the page runs in headless
Chromium. Screenshots go to ``test-output/`` for a person to look at.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect, sync_playwright

from conftest import copy_corpus, running_server
from reportqa.service import Components

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
START_TIMEOUT_S = 180
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

SICHUAN = "四川省2022年可数字化交付服务出口额是多少？"
CHANNELS = "全国有多少个城市拥有国际互联网数据专用通道？"
KOREA = "2022年韩国可数字化服务出口额是多少？"
ABSTAIN_TEXT = "报告中没有找到相关信息"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app (``uvicorn --factory``) on a free loopback port; its base URL."""
    base = tmp_path_factory.mktemp("page-server")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               REPORTQA_INDEX_DIR=str(base / "index"), REPORTQA_CORPUS_DIR=str(ROOT / "corpus"))
    with running_server(env, base / "server.log", START_TIMEOUT_S) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (``make browser`` installs it)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A fresh page at 1400x900; fails the test if anything left the loopback host."""
    with checked_tab(browser) as tab:
        yield tab


@contextlib.contextmanager
def checked_tab(browser: Browser) -> Iterator[Page]:
    """A page at 1400x900 that fails the test on a request off the loopback host,
    a JavaScript error or anything the page's CSP blocks."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    urls: list[str] = []
    tab.on("request", lambda request: urls.append(request.url))
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    # a resource the page's Content-Security-Policy blocks is reported as a console error
    blocked: list[str] = []
    tab.on("console", lambda m: blocked.append(m.text) if m.type == "error" and "Content Security Policy" in m.text
           else None)
    try:
        yield tab
        outside = [u for u in urls if urlparse(u).scheme not in ("data", "blob", "about")
                   and urlparse(u).hostname not in LOOPBACK]
        assert outside == [], f"requests left the loopback host: {outside}"
        assert errors == [], f"JavaScript errors: {errors}"
        assert blocked == [], f"blocked by the page's CSP: {blocked}"
        assert any(urlparse(u).path == "/static/app.js" for u in urls)
    finally:
        context.close()


def _open(page: Page, server: str) -> None:
    page.goto(server)
    expect(page.locator("#status")).to_have_class("status status-ok")
    expect(page.locator("#status")).to_have_text(re.compile(r"^已就绪 · \d+ 段 · 本地索引$"))  # the store serving
    expect(page.locator("#report .doc p.para").first).to_be_visible()


def _ask(page: Page, question: str, *, enter: bool = False) -> dict[str, Any]:
    """Ask through the page; the /ask response body."""
    page.fill("#question", question)
    with page.expect_response(lambda r: urlparse(r.url).path == "/ask") as info:
        if enter:
            page.press("#question", "Enter")
        else:
            page.click("#ask")
    body: dict[str, Any] = info.value.json()
    expect(page.locator("#ask")).to_be_enabled()
    return body


def _assert_on_screen(page: Page, selector: str) -> None:
    """The element is visible, in the viewport and inside the report's scroll box."""
    target = page.locator(selector).first
    expect(target).to_be_visible()
    expect(target).to_be_in_viewport()
    box, report = target.bounding_box(), page.locator("#report").bounding_box()
    assert box is not None and report is not None
    assert report["y"] - 1 <= box["y"] and box["y"] + box["height"] <= report["y"] + report["height"] + 1


def test_the_page_works_under_its_csp(page: Page, server: str) -> None:
    response = page.goto(server)
    assert response is not None
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    page.evaluate("() => { window.cspViolations = []; document.addEventListener('securitypolicyviolation',"
                  " (e) => window.cspViolations.push(e.violatedDirective)); }")
    expect(page.locator("#status")).to_have_class("status status-ok")
    _ask(page, CHANNELS)
    expect(page.locator("#answer")).to_contain_text("47个城市")
    page.locator("#answer .cite").first.click()
    _assert_on_screen(page, "#report .hl")
    assert page.evaluate("window.cspViolations") == []


def test_table_row_citation_is_highlighted(page: Page, server: str) -> None:
    _open(page, server)
    body = _ask(page, SICHUAN)
    expect(page.locator("#answer")).to_contain_text("52.23")
    cite = body["citations"][0]
    assert cite["page_start"] == cite["page_end"] == 35

    first = page.locator("#answer .cite").first
    assert first.get_attribute("data-n") == "1"
    first.click()
    _assert_on_screen(page, "#report .hl")
    row = page.locator("#report .hl")
    expect(row).to_have_count(1)
    assert row.evaluate("node => node.tagName") == "TR"
    assert row.get_attribute("data-start") == str(cite["quote_start"])
    assert row.get_attribute("data-end") == str(cite["quote_end"])
    assert "52.23" in row.inner_text()

    head = page.locator("#answer .citation-head").first
    expect(head.locator(".citation-page")).to_have_text("第35页")
    expect(head.locator(".citation-path")).to_have_text(" › ".join([cite["title"], *cite["section_path"]]))
    expect(page.locator("#answer .quote").first).to_have_text(cite["quote"])

    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "page.png"))


def test_paragraph_quote_is_marked_exactly(page: Page, server: str) -> None:
    _open(page, server)
    body = _ask(page, CHANNELS, enter=True)
    cite = body["citations"][0]
    assert cite["quote_start"] > cite["start"]  # the quote is one sentence of a longer passage
    page.locator("#answer .cite").first.click()
    _assert_on_screen(page, "#report mark.hl")
    marked = "".join(page.locator("#report mark.hl").all_text_contents())
    assert marked == cite["quote"]
    assert "47个城市" in marked

    # A second click clears the first highlight instead of adding to it.
    page.locator("#answer .citation-head").first.click()
    assert "".join(page.locator("#report mark.hl").all_text_contents()) == cite["quote"]
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "page-paragraph.png"))


def test_abstention_is_shown_with_see_also(page: Page, server: str) -> None:
    _open(page, server)
    body = _ask(page, KOREA)
    assert body["abstained"] is True
    expect(page.locator("#answer .abstain")).to_be_visible()
    expect(page.locator("#answer .abstain")).to_contain_text(ABSTAIN_TEXT)
    expect(page.locator("#answer .cite")).to_have_count(0)
    items = page.locator("#answer .see-also-item")
    expect(items).to_have_count(len(body["see_also"]))
    items.first.click()
    _assert_on_screen(page, "#report .hl")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "page-abstain.png"))


def test_phone_width_stacks_report_below_answer(page: Page, server: str) -> None:
    _open(page, server)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _open(page, server)
    _ask(page, SICHUAN)
    expect(page.locator("#answer")).to_contain_text("52.23")
    answer, report = page.locator("#answer").bounding_box(), page.locator("#report").bounding_box()
    assert answer is not None and report is not None
    assert report["y"] >= answer["y"] + answer["height"]
    assert report["x"] + report["width"] <= 390 and answer["x"] + answer["width"] <= 390
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "page-phone.png"), full_page=True)
    page.locator("#answer .cite").first.click()
    _assert_on_screen(page, "#report .hl")
    assert "52.23" in page.locator("#report .hl").first.inner_text()


def test_loading_state_retries_health(page: Page, server: str) -> None:
    calls: list[int] = []

    def first_loading(route: Route, request: Request) -> None:
        calls.append(1)
        if len(calls) == 1:
            route.fulfill(status=503, content_type="application/json",
                          body='{"status":"loading","passages":0,"model":"","index_built_at":null,'
                               '"documents":[],"detail":null}')
        else:
            route.continue_()

    page.route("**/health", first_loading)
    page.goto(server)
    expect(page.locator("#status")).to_have_text("索引加载中…")
    expect(page.locator("#ask")).to_be_disabled()
    expect(page.locator("#status")).to_have_class("status status-ok", timeout=10_000)
    expect(page.locator("#ask")).to_be_enabled()
    assert len(calls) >= 2


def test_errors_show_the_detail_and_key_is_sent(page: Page, server: str) -> None:
    _open(page, server)
    page.evaluate("() => { document.querySelector('#question').value = '\\u0007'; }")
    with page.expect_response(lambda r: urlparse(r.url).path == "/ask") as info:
        page.click("#ask")
    assert info.value.status == 422
    error = page.locator("#answer .error")
    expect(error).to_contain_text("HTTP 422")
    expect(error).to_contain_text(info.value.json()["detail"])

    page.click("#settings-toggle")
    page.fill("#api-key", "secret-key")
    page.click("#settings button[type=submit]")
    assert page.evaluate("() => localStorage.getItem('reportqa.apiKey')") == "secret-key"
    with page.expect_request(lambda r: urlparse(r.url).path == "/ask") as sent:
        page.fill("#question", SICHUAN)
        page.click("#ask")
    assert sent.value.headers.get("authorization") == "Bearer secret-key"



# -- reports: upload a PDF, ask it alone, see the cited spot on its page ------------------------

PDF_ID = "report-2022-pdf"
TEXT_ID = "china-digital-trade-report-2022"


@pytest.fixture
def library_server(real_components: Components, tmp_path: Path) -> Iterator[str]:
    """The real app over a writable copy of the corpus and of the real index."""
    index = tmp_path / "index"
    shutil.copytree(real_components.settings.index_dir, index)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", REPORTQA_INDEX_DIR=str(index),
               REPORTQA_CORPUS_DIR=str(copy_corpus(tmp_path / "corpus")))
    with running_server(env, tmp_path / "server.log", START_TIMEOUT_S) as url:
        yield url


def test_upload_a_pdf_ask_it_alone_and_see_the_quote_on_its_page(browser: Browser, library_server: str,
                                                                 report_pdf: Path) -> None:
    with checked_tab(browser) as page:
        page.goto(library_server)
        expect(page.locator("#status")).to_have_class("status status-ok")
        expect(page.locator("#library-list li")).to_have_count(1)
        page.set_input_files("#upload-file", str(report_pdf))
        page.click("#upload")
        expect(page.locator("#upload-status")).to_have_text("已添加：中国数字贸易发展报告（2022）（53页，177段）",
                                                           timeout=180_000)
        expect(page.locator("#library-list li")).to_have_count(2)
        expect(page.locator(f'#library-list li[data-id="{PDF_ID}"] .library-name')).to_have_text(
            "中国数字贸易发展报告（2022）")
        page.uncheck(f'#library-list li[data-id="{TEXT_ID}"] input')
        with page.expect_request(lambda r: urlparse(r.url).path == "/ask") as sent:
            body = _ask(page, SICHUAN)
        assert sent.value.post_data_json == {"question": SICHUAN, "doc_ids": [PDF_ID]}
        assert not body["abstained"] and {c["doc_id"] for c in body["citations"]} == {PDF_ID}
        assert "52.23" in body["answer"]
        page.locator(".citation-head").first.click()
        expect(page.locator("#page-view")).to_be_visible()
        image = page.locator("#page-img")
        expect(image).to_have_attribute("alt", f"中国数字贸易发展报告（2022） PDF 第 {_pdf_page(body)} 页")
        page.wait_for_function("() => document.querySelector('#page-img').naturalWidth === 893")
        marks = page.locator("#page-frame .quote-box")
        assert marks.count() >= 1
        expect(marks.first).to_be_in_viewport()  # scrolled to, inside the page view
        img, mark = image.bounding_box(), marks.first.bounding_box()
        assert img is not None and mark is not None and mark["width"] > 5 and mark["height"] > 5
        assert img["x"] <= mark["x"] and mark["x"] + mark["width"] <= img["x"] + img["width"] + 1
        assert img["y"] <= mark["y"] and mark["y"] + mark["height"] <= img["y"] + img["height"] + 1
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "pdf-citation.png"))
        remove = page.locator(f'#library-list li[data-id="{PDF_ID}"] .library-remove')
        remove.click()
        expect(remove).to_have_text("确认删除")
        remove.click()
        expect(page.locator("#upload-status")).to_have_text("已删除：中国数字贸易发展报告（2022）")
        expect(page.locator("#library-list li")).to_have_count(1)


def _pdf_page(body: dict[str, Any]) -> int:
    """The PDF page of the first citation: its printed page less the report's first folio (2), plus 1."""
    return int(body["citations"][0]["page_start"]) - 1


def test_follow_ups_stay_in_one_conversation_until_a_new_one(page: Page, server: str) -> None:
    _open(page, server)
    _ask(page, SICHUAN)
    with page.expect_request(lambda r: urlparse(r.url).path == "/ask") as sent:
        body = _ask(page, "那进口呢")
    assert sent.value.post_data_json == {"question": "那进口呢", "history": [SICHUAN]}
    assert body["resolved_question"] == "四川省2022年可数字化交付服务进口额是多少?" and "16.60" in body["answer"]
    turns = page.locator("#answer .turn")
    expect(turns).to_have_count(2)
    expect(turns.nth(1).locator(".turn-question")).to_have_text("那进口呢")
    expect(turns.nth(1).locator(".resolved")).to_have_text("理解为：四川省2022年可数字化交付服务进口额是多少?")
    turns.nth(1).locator(".citation-head").first.click()  # the second turn's own citation
    expect(page.locator("#report tr.hl")).to_have_count(1)
    page.click("#new-chat")
    expect(turns).to_have_count(0)
    with page.expect_request(lambda r: urlparse(r.url).path == "/ask") as fresh:
        _ask(page, "那进口呢")
    assert fresh.value.post_data_json == {"question": "那进口呢"}
