import pytest

from mathocr.cli import main


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for name in ["recognize", "serve", "train", "train-neighbours", "evaluate-symbols", "dataset"]:
        assert name in out


@pytest.mark.parametrize(
    "name", ["recognize", "serve", "train", "train-neighbours", "evaluate-symbols", "dataset"]
)
def test_each_subcommand_has_help(name, capsys):
    with pytest.raises(SystemExit) as e:
        main([name, "--help"])
    assert e.value.code == 0
    assert "usage" in capsys.readouterr().out
