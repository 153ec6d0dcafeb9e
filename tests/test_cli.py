"""The command line as a contract: help everywhere, torch never loaded where no model is used."""

from __future__ import annotations


import click
import typer

from briefing.cli import app
from conftest import SEED, modules_after, run_cli


def _commands(group: click.Command, prefix: str = "briefing"):
    yield prefix, group
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            yield from _commands(command, f"{prefix} {name}")


def test_every_command_and_option_has_help():
    missing = []
    for name, command in _commands(typer.main.get_command(app)):
        if not (command.help or "").strip():
            missing.append(name)
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{name} {param.opts[0]}")
            if isinstance(param, click.Argument) and not (getattr(param, "help", "") or "").strip():
                missing.append(f"{name} {param.name}")
    assert missing == [], f"commands or options without help: {missing}"


def test_help_and_version_run():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "generate" in result.stdout
    assert run_cli("--version").stdout.startswith("briefing ")
    assert "--format" in run_cli("generate", "--help").stdout


def test_help_and_cue_path_do_not_import_torch():
    loaded = modules_after(
        "import sys\nfrom briefing.cli import main\nsys.argv=['briefing','generate',"
        f"{str(SEED)!r},'--router','cues','--backend','extractive','--format','json','--quiet']\n"
        "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main()\n    except SystemExit as e:\n        assert not e.code, e.code"
    )
    assert "briefing.report" in loaded
    assert "torch" not in loaded and "transformers" not in loaded


def test_sections_command_lists_defaults():
    result = run_cli("sections")
    assert result.returncode == 0, result.stderr
    for key in ("battlefield", "diplomacy", "reconstruction"):
        assert key in result.stdout


def test_unknown_section_is_one_line_error():
    result = run_cli("generate", str(SEED), "--router", "cues", "--sections", "weather")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "unknown section 'weather'" in result.stderr


def test_several_formats_without_out_is_an_error():
    result = run_cli("generate", str(SEED), "--router", "cues", "-f", "md", "-f", "html")
    assert result.returncode != 0
    assert "--out" in result.stderr and "Traceback" not in result.stderr


def test_python_api_without_cli():
    import briefing

    articles = briefing.read_inputs([SEED])
    report = briefing.build_report(articles, briefing.Options(router="cues", backend="extractive"))
    assert [b.section.key for b in report.briefs] == ["battlefield", "diplomacy", "reconstruction"]
    assert "## Battlefield" in briefing.render(report, "md")
