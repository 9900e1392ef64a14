"""The check command: expectations, budgets and warnings of every network, for CI.

No ``from __future__ import annotations`` here: typer reads every command's annotations
when the program starts, and string annotations cost it several milliseconds to evaluate.
"""

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from cnncalc.cli.options import (
    MAX_LAYERS,
    MaxLayersOpt,
)
from cnncalc.cli.output import append_file, write_output


class CheckFormat(StrEnum):
    text = "text"
    github = "github"
    json = "json"
    junit = "junit"


def check_command(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Architecture files, directories (every *.toml under them that holds a "
            "network) or quoted globs such as `'models/**/*.toml'`; `-` reads standard input.",
            metavar="FILE...",
            show_default=False,
        ),
    ],
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 1) on warnings too.")
    ] = False,
    fmt: Annotated[
        CheckFormat,
        typer.Option(
            "--format",
            "-f",
            help="text; github (annotations, and a job summary when GITHUB_STEP_SUMMARY is "
            "set); json; junit (XML for CI test reports).",
            case_sensitive=False,
        ),
    ] = CheckFormat.text,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE...",
            help="Write the report to this file; with json or junit the text report still "
            "goes to standard output.",
        ),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="First write the exact current params, trainable_params, macs and output "
            "(and the values of existing layer expectations) into each [expect] table.",
        ),
    ] = False,
    skip_non_networks: Annotated[
        bool,
        typer.Option(
            "--skip-non-networks",
            help="Skip named TOML files that hold no network (for pre-commit hooks).",
        ),
    ] = False,
    max_layers: MaxLayersOpt = MAX_LAYERS,
) -> int:
    """Check every network's expectations, budgets and warnings, for CI.

    Exit codes: 0 all pass; 1 an expectation failed (or a warning, with --strict);
    2 a file is invalid.

    Example: `cnncalc check models/ --format github`
    """
    import os

    from cnncalc.check.formats import (
        github_annotations,
        github_summary,
        json_document,
        junit_xml,
        text_lines,
    )
    from cnncalc.check.run import run_check
    from cnncalc.cli.progress import Progress

    progress = Progress()
    try:
        report = run_check(files, strict, max_layers, skip_non_networks, update, progress)
    finally:
        progress.done()
    if fmt is CheckFormat.json:
        document = json.dumps(json_document(report), indent=2, ensure_ascii=False) + "\n"
    elif fmt is CheckFormat.junit:
        document = junit_xml(report)
    elif fmt is CheckFormat.github:
        document = github_annotations(report)
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            append_file(summary_file, github_summary(report))
    else:
        document = "".join(line + "\n" for _, _, line in text_lines(report))
    if output is not None:
        write_output(document, output, [f.file for f in report.files])
        if fmt is not CheckFormat.text:
            print_check_text(text_lines(report))
    elif fmt is CheckFormat.text:
        print_check_text(text_lines(report))
    else:
        sys.stdout.write(document)
        for stream, _, text in text_lines(report):  # invalid files still get their one line
            if stream == "err":
                print(text, file=sys.stderr)
    return report.exit_code


def print_check_text(lines: list[tuple[str, str, str]]) -> None:
    """Findings and summary on standard output, invalid-file errors on standard error."""
    from cnncalc.render.formats import styled_lines

    run: list[tuple[str, str]] = []
    for i, (stream, style, text) in enumerate(lines):
        run.append((style, text))
        if i + 1 == len(lines) or lines[i + 1][0] != stream:
            out = sys.stderr if stream == "err" else sys.stdout
            styled_lines(run, out)
            out.flush()
            run = []
