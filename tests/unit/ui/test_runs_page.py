"""The runs page ``/`` and ``/api/runs``: the real app in-process over real stores.

Browser behaviour (clicking, selection, live updates) is in
tests/integration/ui/test_runs_page.py; here: what the server answers for a
URL, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from starlette.datastructures import QueryParams
from starlette.testclient import TestClient

from nbtrack.compare.listing import Column, parse_columns
from nbtrack.model import RunStatus
from nbtrack.store import open_store
from nbtrack.store.query import And, Compare, Field, Or, parse_sort, parse_where
from nbtrack.ui.app import create_app
from nbtrack.ui.config import UiConfig
from nbtrack.ui.runs_page import PAGE_SIZE, View, column_spec, narrowed, sort_spec
from tests.helpers.comparison import add_run

ODD_KEYS = ["lr", "opt.beta", "train/loss", "my key", 'say "hi"', "a,b", "it's", 'x`y"z', " lead"]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_a_sort_and_a_column_of_any_key_read_back_as_that_key(key: str) -> None:
    for namespace in ("params", "metrics", "tags"):
        for descending in (False, True):
            parsed = parse_sort(sort_spec(Field(namespace, key), descending))
            assert (parsed.field, parsed.descending) == (Field(namespace, key), descending)
        column = Column(namespace, key)
        if key.strip() == key:  # --columns strips spaces around a key
            assert parse_columns([column_spec(column) + ",metrics.x"]) == [
                column,
                Column("metrics", "x"),
            ]


TAG_VALUES = ["vision", 'say "hi"', "back\\slash", "two\nlines", "<b>x</b>", ""]


@pytest.mark.parametrize("value", TAG_VALUES)
@pytest.mark.parametrize("key", ["team", "my key", 'a"b'])
def test_a_click_on_a_tag_narrows_the_filter_to_that_tag(key: str, value: str) -> None:
    alone = parse_where(narrowed("", Field("tags", key), value))
    assert isinstance(alone, Compare)
    assert (alone.field, alone.op, alone.value) == (Field("tags", key), "=", value)
    both = parse_where(narrowed("params.lr < 1 or name = x", Field("tags", key), value))
    assert isinstance(both, And)  # the tag narrows the whole filter, not its last term
    assert isinstance(both.terms[0], Or)
    assert both.terms[1] == alone
    once = narrowed("", Field("tags", key), value)
    assert narrowed(once, Field("tags", key), value) == once  # a second click adds nothing


def test_a_view_reads_its_url_and_writes_it_back() -> None:
    query = QueryParams(
        "where=params.lr+%3C+1&sort=-metrics.acc&sort=name&columns=params.lr,metrics.acc"
        "&deleted=1&page=3&selected=aa,bb&selected=cc&selected=aa"
    )
    view, problem = View.from_query(query)
    assert problem is None
    assert view == View(
        where="params.lr < 1",
        sort=("-metrics.acc", "name"),
        columns="params.lr,metrics.acc",
        deleted=True,
        page=3,
        selected=("aa", "bb", "cc"),
    )
    assert View.from_query(QueryParams(view.href().removeprefix("/?")))[0] == view
    assert View().href() == "/"
    assert View(columns="").href() == "/?columns="  # no columns at all is not the default
    assert view.href(page=1, deleted=False, selected=()) == (
        "/?where=params.lr+%3C+1&sort=-metrics.acc&sort=name&columns=params.lr%2Cmetrics.acc"
    )


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("page=abc", "Cannot show page 'abc': a page is a whole number from 1 to 1,000,000,000."),
        ("page=0", "Cannot show page '0': a page is a whole number from 1 to 1,000,000,000."),
        ("page=-2", "Cannot show page '-2': a page is a whole number from 1 to 1,000,000,000."),
        ("page=%C2%B2", "Cannot show page '²': a page is a whole number from 1 to 1,000,000,000."),
        (
            "page=99999999999999999999",
            "Cannot show page '99999999999999999999': a page is a whole number from 1 to"
            " 1,000,000,000.",
        ),
        ("deleted=maybe", "Cannot read deleted='maybe': use deleted=1 or leave it out."),
    ],
)
def test_a_bad_page_or_deleted_value_is_one_sentence(query: str, sentence: str) -> None:
    assert View.from_query(QueryParams(query))[1] == sentence


# -- the pages over real stores --------------------------------------------------------


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    store = open_store(store_url)
    store.close()  # the store exists (and is empty) before the app opens it to read
    with TestClient(create_app(UiConfig(store_url=store_url))) as opened:
        yield opened


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-run="([^"]+)"', html)


def _names(html: str) -> list[str]:
    return [unescape(n) for n in re.findall(r'<td class="name" title="[^"]*">([^<]*)</td>', html)]


def _seed(store_url: str) -> dict[str, str]:
    store = open_store(store_url)
    ids = {
        "a": add_run(store, "a", params={"lr": 0.1, "opt": "sgd"}, metrics={"acc": [0.2, 0.5]}),
        "b": add_run(store, "b", params={"lr": 0.01, "opt": "sgd"}, metrics={"acc": [math.nan]}),
        "c": add_run(store, "c", params={"lr": 0.3, "opt": "sgd"}, metrics={"acc": [math.inf]}),
    }
    store.set_tags(ids["a"], {"team": "<b>vision</b>"})
    store.close()
    return ids


def test_the_table_lists_runs_newest_first_with_the_varying_params_and_metrics(
    store_url: str, client: TestClient
) -> None:
    ids = _seed(store_url)
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert _rows(html) == [ids["c"], ids["b"], ids["a"]]
    assert f'href="/runs/{ids["a"]}"' in html  # full ids in links, short ones shown
    assert f">{ids['a'][:8]}</a>" in html
    headers = re.findall(r'class="nav-link sort-link" href="([^"]+)">([^<]+)', html)
    # params.opt is the same everywhere: no column; started is the default sort, so
    # its link asks for the other direction
    assert [label for _, label in headers] == [
        "id", "name", "status", "notebook", "started ", "params.lr", "metrics.acc",
    ]  # fmt: skip
    assert dict((label, href) for href, label in headers)["started "] == "/?sort=started"
    text = _text(html)
    assert "nan" in text  # NaN and inf read as text, nothing crashed
    assert "inf" in text
    assert "team=&lt;b&gt;vision&lt;/b&gt;</a>" in html  # a tag is text, its link a filter
    assert 'href="/?where=tags.team+%3D+%22%3Cb%3Evision%3C%2Fb%3E%22"' in html
    assert "Runs 1–3 of 3" in text


def test_sorting_filtering_and_columns_come_from_the_url(
    store_url: str, client: TestClient
) -> None:
    ids = _seed(store_url)
    html = client.get("/?sort=params.lr").text
    assert _rows(html) == [ids["b"], ids["a"], ids["c"]]
    arrow = re.search(r'href="(/\?sort=[^"]+)">params.lr <span class="arrow"[^>]*>(.)<', html)
    assert arrow is not None
    assert arrow.groups() == ("/?sort=-params.lr", "▲")
    html = client.get("/?sort=-params.lr").text
    assert _rows(html) == [ids["c"], ids["a"], ids["b"]]
    assert 'href="/?sort=params.lr">params.lr <span class="arrow" aria-hidden="true">▼<' in html
    html = client.get("/", params={"where": "params.lr < 0.2", "columns": "params.opt"}).text
    assert _rows(html) == [ids["b"], ids["a"]]
    heads = re.findall(r'<th aria-sort="[^"]+"[^>]*>(?:<a [^>]+>)?([^<]+)', html)
    assert heads[-2:] == ["tags", "params.opt"]
    # the filter form keeps the sort, the columns, the selection
    assert '<input type="hidden" name="columns" value="params.opt">' in html
    assert "No run on this page has" not in html
    html = client.get("/", params={"columns": "params.opt,metrics.typo"}).text
    assert "No run on this page has metrics.typo: its column is empty." in _text(html)
    assert "params.opt:" not in _text(html)


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ({"where": "params.lr <"}, "Cannot read --where 'params.lr <' at position 12"),
        ({"where": "bogus = 1"}, "Cannot read --where 'bogus = 1' at position 1: unknown field"),
        ({"sort": "+"}, "Cannot read --sort '+': it names no field."),
        ({"columns": "lr"}, "Cannot show the column 'lr': name it params.KEY"),
        ({"page": "x"}, "Cannot show page 'x'"),
        ({"after": "garbage"}, "Cannot continue after 'garbage': it is not a page cursor"),
        ({"after": "abc", "start": "0"}, "Cannot start at run '0': use a whole number"),
    ],
)
def test_bad_input_is_a_400_page_naming_it_never_a_500(
    store_url: str, client: TestClient, query: dict[str, str], sentence: str
) -> None:
    _seed(store_url)
    response = client.get("/", params=query)
    assert response.status_code == 400
    error = re.search(r'<p class="error runs-error" [^>]*role="alert">([^<]*)<', response.text)
    assert error is not None
    assert unescape(error.group(1)).startswith(sentence)
    assert _rows(response.text) == []
    if "where" in query:  # the filter box keeps what was typed, to fix it
        assert f'value="{query["where"].replace("<", "&lt;")}"' in response.text


def test_a_hundred_runs_a_page_with_previous_and_next(store_url: str, client: TestClient) -> None:
    store = open_store(store_url)
    ids = [add_run(store, f"r{i:03d}", params={"i": i}) for i in range(PAGE_SIZE * 2 + 5)]
    store.close()
    first = client.get("/").text
    assert _rows(first) == ids[::-1][:PAGE_SIZE]
    assert "Runs 1–100 of 205 (page 1 of 3)" in _text(first)
    assert 'rel="prev"' not in first
    # Next follows a keyset cursor; the page after it numbers its runs on
    second_link = re.search(r'rel="next" href="(/\?after=[^"&]+&amp;start=101)"', first)
    assert second_link is not None, first
    second = client.get(unescape(second_link.group(1))).text
    assert _rows(second) == ids[::-1][PAGE_SIZE : 2 * PAGE_SIZE]
    assert "Runs 101–200 of 205 (page 2 of 3)" in _text(second)
    assert 'rel="prev" href="/"' in second
    third_link = re.search(r'rel="next" href="(/\?after=[^"&]+&amp;start=201)"', second)
    assert third_link is not None
    third = client.get(unescape(third_link.group(1))).text
    assert _rows(third) == ids[::-1][2 * PAGE_SIZE :]
    assert "Runs 201–205 of 205 (page 3 of 3)" in _text(third)
    assert 'rel="prev" href="/?page=2"' in third
    assert 'rel="next"' not in third
    last = client.get("/?page=3&sort=name").text
    assert _rows(last) == ids[200:]
    assert "Runs 201–205 of 205 (page 3 of 3)" in _text(last)
    assert 'rel="prev" href="/?sort=name&amp;page=2"' in last
    assert 'rel="next"' not in last
    assert "No runs on page 1,000,000,000" in _text(client.get("/?page=1000000000").text)
    past = client.get("/?page=9")
    assert past.status_code == 200
    assert "No runs on page 9: there are 3." in _text(past.text)


def test_a_cursor_of_another_sort_is_a_400_page(store_url: str, client: TestClient) -> None:
    store = open_store(store_url)
    for i in range(PAGE_SIZE + 1):
        add_run(store, f"r{i:03d}")
    store.close()
    link = re.search(r'rel="next" href="/\?(after=[^"&]+)', client.get("/").text)
    assert link is not None
    other = client.get("/?sort=name&" + unescape(link.group(1)))
    assert other.status_code == 400
    assert "belongs to a listing with another --where, --sort" in _text(other.text)
    assert _rows(other.text) == []


def test_an_empty_store_says_how_to_log_a_first_run(client: TestClient) -> None:
    text = _text(client.get("/").text)
    assert "No runs yet in" in text
    assert "nbtrack.start_run()" in text
    assert "No runs match this filter." in _text(client.get("/?where=params.lr<1").text)
    assert "No deleted runs." in _text(client.get("/?deleted=1").text)


def test_deleted_runs_are_behind_deleted_1(store_url: str, client: TestClient) -> None:
    ids = _seed(store_url)
    store = open_store(store_url)
    store.delete_run(ids["b"], time.time())
    store.close()
    assert _rows(client.get("/").text) == [ids["c"], ids["a"]]
    html = client.get("/?deleted=1").text
    assert _rows(html) == [ids["b"]]
    assert "<h1>Deleted runs</h1>" in html
    assert 'href="/">Back to the runs</a>' in html


def test_api_runs_answers_status_duration_and_last_values_of_the_runs_asked(
    store_url: str, client: TestClient
) -> None:
    ids = _seed(store_url)
    store = open_store(store_url)
    running = "e" * 32
    store.create_run(run_id=running, name="live", started_at=time.time() - 5)
    store.heartbeat(running, time.time(), [("acc", 0.25, 3, time.time())])
    stale = "f" * 32
    store.create_run(run_id=stale, name="gone", started_at=time.time() - 100_000)
    store.close()
    response = client.get("/api/runs", params=[("run", running), ("run", stale), ("run", ids["c"])])
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    by_id = {run["id"]: run for run in body["runs"]}
    assert set(by_id) == {running, stale, ids["c"]}
    assert by_id[running]["status"] == RunStatus.RUNNING.value
    assert by_id[running]["metrics"] == {"acc": {"text": "0.25", "value": 0.25}}
    assert by_id[running]["ended"] is False
    assert by_id[stale]["status"] == "CRASHED"  # no heartbeat for a day: as `nbtrack runs`
    assert by_id[ids["c"]]["metrics"]["acc"] == {"text": "inf", "value": "Infinity"}
    assert client.get("/api/runs").json() == {"runs": []}
    bad = client.get("/api/runs", params={"run": "x' or 1=1"})
    assert bad.status_code == 400
    sentence = 'Cannot look up run "x\' or 1=1": a run id is letters and digits.'
    assert bad.json() == {"error": sentence}
    many = client.get("/api/runs", params=[("run", f"{i:032x}") for i in range(PAGE_SIZE + 1)])
    assert many.status_code == 400
    assert "ask for at most 100" in many.json()["error"]
