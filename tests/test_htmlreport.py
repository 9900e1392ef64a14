"""The HTML report: structure checked everywhere, and a real browser run where chromium exists."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from cnncalc import analyze, load
from cnncalc.cli.app import main
from cnncalc.engine.walk import Analysis
from cnncalc.render.html import CSP, SCRIPT, page
from cnncalc.reports.memory import Settings, measure

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "pictures"
VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "source", "wbr"}
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)


def analyses(*files: str) -> list[Analysis]:
    return [analyze(n) for f in files for n in load(str(DATA / f))]


class Page(HTMLParser):
    """Tags, attributes, ids and text of a page, with a check that every element is closed."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: list[str] = []
        self.problems: list[str] = []
        self.cells: dict[str, list[list[str]]] = {}  # table id → rows of cell texts
        self.table: str | None = None
        self.scripts: list[str] = []
        self.texts: list[str] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.problems.append(f"unclosed: {self.stack}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.record(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)
        found = dict(self.tags[-1][1])
        if tag == "table":
            self.table = found.get("id")
            if self.table:
                self.cells[self.table] = []
        if tag == "tr" and self.table and "tbody" in self.stack:
            self.cells[self.table].append([])
        if tag == "td" and self.table and "tbody" in self.stack:
            self.cells[self.table][-1].append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.record(tag, attrs)

    def record(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.append((tag, found))
        if "id" in found:
            self.ids.append(found["id"])

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag == "table":
            self.table = None

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self.stack and self.stack[-1] == "script":
            self.scripts.append(data)
        if self.table and self.stack and self.stack[-1] == "td" and "tbody" in self.stack:
            self.cells[self.table][-1][-1] += data

    def named(self, tag: str) -> list[dict[str, str]]:
        return [attrs for t, attrs in self.tags if t == tag]


# --------------------------------------------------------------------------- structure


def test_page_is_well_formed_and_complete() -> None:
    found = analyses("lenet5.toml", "resnet_like.toml", "towers.toml")
    doc = Page(page(found, "several"))
    assert doc.problems == []
    assert len(doc.ids) == len(set(doc.ids)), "ids must be unique"
    assert [a.get("id") for a in doc.named("section")] == [
        "lenet5",
        "resnet_like",
        "towers",
        "chain",
    ]
    assert len(doc.named("svg")) == 4
    assert {a["id"] for a in doc.named("marker")} == {
        f"{n}-arrow" for n in ("lenet5", "resnet_like", "towers", "chain")
    }
    for a in found:
        rows = doc.cells[f"{a.network.name}-layers"]
        assert [row[1] for row in rows] == [
            r.name + (f" (shares {r.shared_from})" if r.shared_from else "") for r in a.layers
        ]
        assert [row[7] for row in rows] == [f"{r.totals.params:,}" for r in a.layers]
        assert [row[8] for row in rows] == [f"{r.effect.macs:,}" for r in a.layers]
    # Contents: navigation between networks, four charts each, the warning of the chain.
    assert [a["href"] for a in doc.named("a")] == ["#lenet5", "#resnet_like", "#towers", "#chain"]
    assert sum("chart" in a.get("class", "") for a in doc.named("table")) == 16
    text = "".join(doc.texts)
    for a in found:  # the memory section: cnncalc memory's figures at batch 1
        m = measure(a, Settings())
        assert f"{m.saved_bytes:,} bytes" in text and f"{m.training_peak_bytes:,} bytes" in text
    assert "the last input row is never read on axis H" in text
    assert "61,706" in text and "416,520" in text


def test_page_fetches_nothing() -> None:
    doc = Page(page(analyses("resnet_like.toml", "towers.toml"), "t"))
    (csp,) = [a for a in doc.named("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp["content"] == CSP and "default-src 'none'" in CSP
    assert [a["href"] for a in doc.named("link")] == ["data:,"]
    for tag, attrs in doc.tags:
        assert "src" not in attrs, tag
        for key, value in attrs.items():
            if key == "xmlns":
                continue
            assert not re.search(r"(https?|ftp):|//", value) or key == "content", (tag, key)
    assert doc.scripts == [SCRIPT]
    assert not doc.named("iframe") and not doc.named("img") and not doc.named("object")


def test_markup_in_names_is_escaped_in_html() -> None:
    text = page(analyses("markup.toml"), "<script>alert(1)</script>")
    doc = Page(text)
    assert doc.problems == []
    assert doc.scripts == [SCRIPT]  # the only script is ours
    assert not doc.named("img") and not doc.named("b")
    plain = "".join(doc.texts)
    for name in ("<script>alert('x')</script>", 'say "hi" \\ & <b>bold</b>', "]]><!-- -->"):
        assert name in plain
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; · cnncalc report</title>" in text
    rows = next(iter(doc.cells.values()))
    assert rows[2][1] == "</svg><img src=x onerror=alert(2)>.in&out"


def test_report_is_deterministic() -> None:
    found = analyses("inception_like.toml")
    assert page(found, "x") == page(analyses("inception_like.toml"), "x")


def test_cli_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    assert main(["report", str(DATA / "towers.toml"), "-o", str(out)]) == 0
    assert capsys.readouterr() == ("", "")
    doc = Page(out.read_text(encoding="utf-8"))
    assert doc.problems == []
    assert "<h1>towers.toml</h1>" in out.read_text(encoding="utf-8")
    assert main(["report", str(DATA / "towers.toml"), "--net", "chain", "--depth", "1"]) == 0
    single = Page(capsys.readouterr().out)
    assert [a["id"] for a in single.named("section")] == ["chain"]
    assert not single.named("nav")


def test_cli_report_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(DATA / "towers.toml"), "--net", "chian"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"{DATA / 'towers.toml'}: --net: no network 'chian' — did you mean 'chain'?; "
        "the file has towers, chain\n"
    )


# --------------------------------------------------------------------------- a real browser

needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def browse(target: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    args = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *extra,
        target,
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=180, check=False)


def console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def png_pixels(data: bytes) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the set of colours of an 8-bit RGB(A) PNG, decoded by hand."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks, header = 8, b"", b""
    while at < len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + size]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks += body
        at += 12 + size
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(chunks)
    stride = width * step
    previous = bytearray(stride)
    colours: set[tuple[int, int, int]] = set()
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            corner = previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 255
        for i in range(0, stride, step * 3):  # every third pixel is plenty
            colours.add((line[i], line[i + 1], line[i + 2]))
        previous = line
    return width, height, colours


@needs_browser
def test_the_browser_check_sees_console_errors(tmp_path: Path) -> None:
    """The console check below can fail: a page with an error shows up in the log."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><script>missingFunction();</script>", encoding="utf-8")
    done = browse(bad.as_uri(), tmp_path / "profile", "--dump-dom")
    assert any("Uncaught ReferenceError: missingFunction" in line for line in console(done.stderr))


@needs_browser
def test_report_runs_in_a_browser(tmp_path: Path) -> None:
    found = analyses("lenet5.toml", "inception_like.toml", "towers.toml", "markup.toml")
    report = tmp_path / "report.html"
    report.write_text(page(found, "browser"), encoding="utf-8")
    done = browse(report.as_uri(), tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert console(done.stderr) == []  # no script error, no blocked fetch, no injected markup
    dom = Page(done.stdout)
    (html,) = dom.named("html")
    assert html.get("data-ready") == "true"  # the script ran to its end
    assert len(dom.named("svg")) == len(found)
    for a in found:
        rows = dom.cells[f"{re.sub(r'[^A-Za-z0-9_-]+', '-', a.network.name).strip('-')}-layers"]
        assert [row[0] for row in rows] == [str(i + 1) for i in range(len(a.layers))]


@needs_browser
def test_tables_sort_in_a_browser(tmp_path: Path) -> None:
    (a,) = analyses("lenet5.toml")
    report = tmp_path / "report.html"
    report.write_text(page([a], "lenet5"), encoding="utf-8")
    url = report.as_uri() + "#sort=lenet5-layers:macs:descending"
    done = browse(url, tmp_path / "profile", "--dump-dom")
    assert console(done.stderr) == []
    dom = Page(done.stdout)
    order = [row[1] for row in dom.cells["lenet5-layers"]]
    by_macs = sorted(range(len(a.layers)), key=lambda i: (-a.layers[i].effect.macs, i))
    assert order == [a.layers[i].name for i in by_macs]
    assert order[:2] == ["c3", "c1"]
    heads = [t for t in dom.named("th") if t.get("data-key") == "macs"]
    assert heads[0].get("aria-sort") == "descending"


@needs_browser
def test_screenshot_shows_the_diagram(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(page(analyses("branched.toml"), "branched"), encoding="utf-8")
    shot = tmp_path / "shot.png"
    done = browse(
        report.as_uri(), tmp_path / "profile", f"--screenshot={shot}", "--window-size=1000,1400"
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    width, height, colours = png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 1400)

    def near(target: str) -> bool:
        r, g, b = (int(target[i : i + 2], 16) for i in (1, 3, 5))
        return any(abs(r - x) + abs(g - y) + abs(b - z) <= 6 for x, y, z in colours)

    # The conv, merge and fc box fills of the diagram were painted.
    assert near("#d4e4f7") and near("#f7d0d0") and near("#fde3c8")


def test_png_decoder_reads_a_known_image() -> None:
    """The screenshot check's decoder, on a 2x1 RGB image made here."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"\x01" + bytes([10, 20, 30, 5, 5, 5])  # Sub filter: second pixel is 15, 25, 35
    data: Any = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    width, height, colours = png_pixels(data)
    assert (width, height) == (2, 1)
    assert (10, 20, 30) in colours


def test_report_help_has_an_example(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["report", "--help"]) == 0
    out = capsys.readouterr().out
    assert "cnncalc report examples.toml --net lenet5 -o lenet5.html" in out
    assert "self-contained HTML" in out


def test_depth_folds_the_layer_table_as_it_folds_the_diagram(
    capsys: pytest.CaptureFixture[str],
) -> None:
    examples = str(Path(__file__).resolve().parents[1] / "examples.toml")
    assert main(["report", examples, "--net", "resnet50", "--depth", "1"]) == 0
    html = capsys.readouterr().out
    start = html.index('id="resnet50-layers"')
    table = html[start : html.index("</table>", start)]
    assert ">bottleneck1_1<" in table and "bottleneck1_1.conv1" not in table
    assert main(["report", examples, "--net", "resnet50"]) == 0
    html = capsys.readouterr().out
    start = html.index('id="resnet50-layers"')
    assert "bottleneck1_1.conv1" in html[start : html.index("</table>", start)]
