"""`cnncalc check` output formats: text, GitHub annotations and job summary, JSON, JUnit XML.

Each function turns a CheckReport into text; the CLI decides where it goes.
"""

from __future__ import annotations

from typing import Any

from cnncalc.check.results import (
    ERROR,
    FAILED,
    FAILURE,
    INVALID,
    OK,
    WARNING,
    CheckReport,
    Finding,
    plural,
)
from cnncalc.errors import Location, printable

OUT, ERR = "out", "err"
STYLES = {ERROR: "bold red", FAILURE: "red", WARNING: "yellow"}

Line = tuple[str, str, str]  # (stream, rich style, text)


def failed_level(finding: Finding, strict: bool) -> bool:
    return finding.level != WARNING or strict


def without_file(finding: Finding) -> str:
    """The finding as text after ``FILE:LINE: `` (the annotation carries those)."""
    loc = finding.location
    head = Location(network=loc.network, layer=loc.layer, key=loc.key).prefix()
    return printable(head + ("warning: " if finding.level == WARNING else "") + finding.message)


# --------------------------------------------------------------------------- text


def text_lines(report: CheckReport) -> list[Line]:
    """One line per finding (errors on standard error), updates, then the summary."""
    lines: list[Line] = []
    for f in report.files:
        if f.updated:
            text = f"{f.file}: updated the expectations of " + ", ".join(f.updated)
            lines.append((OUT, "cyan", printable(text)))
        for finding in f.findings():
            stream = ERR if finding.level == ERROR else OUT
            lines.append((stream, STYLES[finding.level], printable(str(finding))))
    style = {0: "bold green", 1: "bold red"}.get(report.exit_code, "bold red")
    lines.append((OUT, style, report.summary()))
    return lines


# --------------------------------------------------------------------------- GitHub


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, strict: bool) -> str:
    """``::error file=F,line=L,title=T::message`` (a workflow command GitHub shows on the diff)."""
    loc = finding.location
    command = "error" if failed_level(finding, strict) else "warning"
    props = []
    if loc.file is not None:
        props.append(f"file={escape_property(printable(loc.file))}")
    if loc.line is not None:
        props.append(f"line={loc.line}")
    title = "cnncalc" + (f": {printable(loc.network)}" if loc.network else "")
    if finding.level == ERROR:
        title += " (invalid)"
    props.append(f"title={escape_property(title)}")
    return f"::{command} {','.join(props)}::{escape_data(without_file(finding))}"


def github_annotations(report: CheckReport) -> str:
    lines = [annotation(f, report.strict) for f in report.findings()]
    lines.append(report.summary())
    return "\n".join(lines) + "\n"


RESULT_MARKS = {OK: "✅ ok", FAILED: "❌ failed", INVALID: "⛔ invalid"}


def md(text: str) -> str:
    """Escaped as --format markdown escapes: no pipe, HTML tag or control character gets through
    (a name is plain text, never a code span that a backtick in it could close)."""
    from cnncalc.render.formats import md_escape

    return md_escape(text)


def github_summary(report: CheckReport) -> str:
    """The job summary in Markdown: the summary line, one row per network, the findings."""
    out = ["## cnncalc check", "", f"**{md(report.summary())}**", ""]
    out += ["| File | Network | Result | Expectations |", "|---|---|---|---:|"]
    for f in report.files:
        if f.error is not None:
            out.append(f"| {md(f.file)} | | {RESULT_MARKS[INVALID]} | |")
        for net in f.networks:
            result = RESULT_MARKS[net.status(report.strict)]
            warnings = len(net.of(WARNING))
            if warnings:
                result += f" ({plural(warnings, 'warning')})"
            out.append(f"| {md(f.file)} | {md(net.name)} | {result} | {net.checked} |")
    findings = list(report.findings())
    if findings:
        out += ["", "### Findings", ""]
        for finding in findings:
            loc = finding.location
            where = loc.file or ""
            if loc.line is not None:
                where += f":{loc.line}"
            out.append(f"- {md(where)}: {md(without_file(finding))}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- JSON


def finding_json(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    item: dict[str, Any] = {
        "line": loc.line,
        "layer": loc.layer,
        "message": finding.message,
        "text": str(finding),
    }
    if finding.level == ERROR:
        item["key"] = loc.key
    if finding.expectation is not None:
        item["expectation"] = finding.expectation
    if finding.level == FAILURE:
        item.update(expected=finding.expected, actual=finding.actual, difference=finding.difference)
    return item


def json_document(report: CheckReport) -> dict[str, Any]:
    """Per file and network: status, failures (expected, actual, difference), warnings, errors."""
    files = []
    for f in report.files:
        networks = [
            {
                "name": n.name,
                "line": n.location.line,
                "status": n.status(report.strict),
                "expectations": n.checked,
                "failures": [finding_json(x) for x in n.of(FAILURE)],
                "warnings": [finding_json(x) for x in n.of(WARNING)],
                "errors": [finding_json(x) for x in n.of(ERROR)],
            }
            for n in f.networks
        ]
        files.append(
            {
                "file": f.file,
                "status": f.status(report.strict),
                "error": None if f.error is None else finding_json(f.error),
                "updated": f.updated,
                "networks": networks,
            }
        )
    counts = report.counts()
    return {
        "files": files,
        "summary": {**counts, "text": report.summary()},
        "strict": report.strict,
        "exit_code": report.exit_code,
    }


# --------------------------------------------------------------------------- JUnit


def junit_xml(report: CheckReport) -> str:
    """One testsuite per file and one testcase per network, for CI test-report views.

    A failed network has one <failure> whose message is its first failure and whose
    text lists every line; an invalid network or file has an <error>; warnings
    that do not fail go to <system-out>.
    """
    import xml.etree.ElementTree as ET

    strict = report.strict
    root = ET.Element("testsuites", name="cnncalc check")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for f in report.files:
        file = printable(f.file)
        suite = ET.SubElement(root, "testsuite", name=file)
        counts = {"tests": 0, "failures": 0, "errors": 0}
        cases: list[tuple[str, int | None, list[Finding], str]] = []
        if f.error is not None:
            cases.append((file, f.error.location.line, [f.error], INVALID))
        for net in f.networks:
            cases.append((printable(net.name), net.location.line, net.findings, net.status(strict)))
        for name, line, findings, status in cases:
            case = ET.SubElement(suite, "testcase", name=name, classname=file, file=file)
            if line is not None:
                case.set("line", str(line))
            counts["tests"] += 1
            failing = [x for x in findings if failed_level(x, strict)]
            if status == INVALID:
                counts["errors"] += 1
                errors = [x for x in failing if x.level == ERROR]
                message = printable(errors[0].message)
                tag = ET.SubElement(case, "error", message=message, type="invalid")
                tag.text = lines_of(failing)
            elif status == FAILED:
                counts["failures"] += 1
                tag = ET.SubElement(
                    case, "failure", message=without_file(failing[0]), type="expectation"
                )
                tag.text = lines_of(failing)
            quiet = [x for x in findings if not failed_level(x, strict)]
            if quiet:
                ET.SubElement(case, "system-out").text = lines_of(quiet)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def lines_of(findings: list[Finding]) -> str:
    return "\n".join(printable(str(x)) for x in findings)
