"""The seed article through the whole pipeline, as the README's first command runs it."""

from conftest import SEED, run_cli


def test_seed_report_has_three_sections():
    result = run_cli("generate", str(SEED), "--router", "cues", "--format", "md")
    assert result.returncode == 0, result.stderr
    for heading in ("## Battlefield", "## Diplomacy", "## Reconstruction", "## Key figures", "## Sources"):
        assert heading in result.stdout
