"""train.py's command line: flags built from training/hyperparameters.json, SageMaker defaults for the paths."""
import json
import logging

import pytest

from dogbreed import cli, hyperparameters, modeling

SM_ENV = {"SM_TRAINING_ENV": "{}", "SM_CHANNEL_TRAINING": "/opt/ml/input/data/training",
          "SM_MODEL_DIR": "/opt/ml/model"}
LOCAL = ["--data", "/d", "--model-dir", "/m", "--checkpoint-dir", "/c"]
TABLE = hyperparameters.load()


def test_sagemaker_environment_supplies_the_paths():
    args = cli.parse_args([], SM_ENV)
    assert args.data == "/opt/ml/input/data/training"
    assert args.model_dir == "/opt/ml/model"
    assert args.checkpoint_dir == "/opt/ml/checkpoints"


def test_flags_override_the_sagemaker_environment():
    args = cli.parse_args(LOCAL, SM_ENV)
    assert (args.data, args.model_dir, args.checkpoint_dir) == ("/d", "/m", "/c")


@pytest.mark.parametrize("missing", ["--data", "--model-dir", "--checkpoint-dir"])
def test_outside_sagemaker_a_missing_path_names_the_flag(missing, capsys):
    argv = []
    for flag, value in zip(LOCAL[::2], LOCAL[1::2]):
        if flag != missing:
            argv += [flag, value]
    with pytest.raises(SystemExit) as exit_info:
        cli.parse_args(argv, {})
    assert exit_info.value.code == 2
    assert "%s is required outside SageMaker" % missing in capsys.readouterr().err


def test_every_hyperparameter_in_the_table_is_a_flag_with_the_table_default():
    args = vars(cli.parse_args(LOCAL, {}))
    assert {hp.dest: args[hp.dest] for hp in TABLE} == {hp.dest: hp.default for hp in TABLE}
    # Only the paths and --workers are defined by cli.py itself.
    assert set(args) - {hp.dest for hp in TABLE} == {"data", "model_dir", "checkpoint_dir", "workers"}


def test_the_flags_follow_the_table_when_it_changes(tmp_path):
    """cli.py writes no hyperparameter itself: a new entry, a new default or a new range is a table edit."""
    with open(hyperparameters.TABLE_PATH, encoding="utf-8") as f:
        doc = json.load(f)
    doc["hyperparameters"] = [dict(e, default=5) if e["name"] == "epochs" else e for e in doc["hyperparameters"]]
    doc["hyperparameters"].append({"name": "label-smoothing", "type": "float", "default": 0.1, "min": 0, "max": 0.5,
                                   "description": "a hyperparameter this code does not have yet"})
    path = tmp_path / "hyperparameters.json"
    path.write_text(json.dumps(doc))
    table = hyperparameters.load(str(path))
    args = cli.parse_args(LOCAL, {}, table=table)
    assert (args.epochs, args.label_smoothing) == (5, 0.1)
    assert cli.parse_args(["--label-smoothing", "0.2"] + LOCAL, {}, table=table).label_smoothing == 0.2


def test_the_archs_the_table_allows_are_the_archs_the_code_builds():
    assert set(hyperparameters.by_name()["arch"].values) == set(modeling.ARCHS)


def test_every_tuning_value_is_accepted_by_its_flag():
    tuned = [hp for hp in TABLE if hp.tuning]
    assert {hp.name for hp in tuned} == {"batch-size", "learning-rate"}
    for hp in tuned:
        values = hp.tuning["values"] if hp.tuning["kind"] == "categorical" else [hp.tuning["min"], hp.tuning["max"]]
        for value in values:
            assert getattr(cli.parse_args(["--" + hp.name, str(value)] + LOCAL, {}), hp.dest) == value


def test_hyperparameters_as_sagemaker_passes_them():
    # The toolkit JSON-decodes each value and passes str() of it: True, 0.0016..., 64, resnet18.
    argv = ["--epochs", "3", "--batch-size", "64", "--learning-rate", "0.0016673553502911797", "--arch", "resnet18",
            "--image-size", "160", "--patience", "2", "--seed", "9", "--pretrained", "True"]
    args = cli.parse_args(argv + LOCAL, {})
    assert (args.epochs, args.batch_size, args.arch, args.image_size, args.patience, args.seed) == \
        (3, 64, "resnet18", 160, 2, 9)
    assert args.learning_rate == pytest.approx(0.0016673553502911797)
    assert args.pretrained is True


@pytest.mark.parametrize("argv,expected", [
    ([], True),
    (["--pretrained"], True),
    (["--no-pretrained"], False),
    (["--pretrained", "false"], False),
    (["--pretrained", "False"], False),
    (["--pretrained", "true"], True),
    (["--pretrained", '"false"'], False),
])
def test_pretrained_accepts_bare_valued_and_negative_forms(argv, expected):
    assert cli.parse_args(argv + LOCAL, {}).pretrained is expected


def test_seed_style_underscore_names_are_understood():
    args = cli.parse_args(["--batch_size", "32", "--learning_rate", "0.01"] + LOCAL, {})
    assert (args.batch_size, args.learning_rate) == (32, 0.01)


def test_arguments_the_script_does_not_define_are_logged_and_ignored(caplog):
    with caplog.at_level(logging.WARNING):
        args = cli.parse_args(["--momentum", "0.9", "--epochs", "2"] + LOCAL, {})
    assert args.epochs == 2
    assert "ignoring arguments this script does not define: --momentum 0.9" in caplog.text


@pytest.mark.parametrize("argv,message", [
    (["--epochs", "0"], "--epochs must be an integer in 1..500 (got '0')"),
    (["--batch-size", "abc"], "--batch-size must be an integer in 1..4096 (got 'abc')"),
    (["--batch-size", "64.5"], "--batch-size must be an integer in 1..4096 (got '64.5')"),
    (["--learning-rate", "-1"], "--learning-rate must be a number > 0 and <= 1 (got '-1')"),
    (["--learning-rate", "nan"], "--learning-rate must be a number > 0 and <= 1 (got 'nan')"),
    (["--arch", "vgg16"], "--arch must be one of resnet18, resnet34, resnet50, resnet101 (got 'vgg16')"),
    (["--image-size", "16"], "--image-size must be an integer in 32..1024 (got '16')"),
    (["--pretrained", "maybe"], "--pretrained must be true or false (got 'maybe')"),
    (["--workers", "-1"], "--workers must be an integer >= 0 (got '-1')"),
])
def test_bad_values_are_refused_with_the_flag_and_the_allowed_values(argv, message, capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(argv + LOCAL, {})
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("entry,message", [
    ({"name": "x", "type": "complex", "default": 1}, "hyperparameter 'x' has type 'complex'; allowed: integer, float"),
    ({"name": "x", "type": "integer", "default": 0, "min": 1, "max": 3},
     "hyperparameter 'x': its default is not allowed by its own range (--x must be an integer in 1..3 (got '0'))"),
    ({"name": "x", "type": "string", "default": "c", "values": ["a", "b"]},
     "its default is not allowed by its own range (--x must be one of a, b (got 'c'))"),
])
def test_a_malformed_table_is_refused_naming_the_entry(entry, message, tmp_path):
    path = tmp_path / "hyperparameters.json"
    path.write_text(json.dumps({"hyperparameters": [entry]}))
    with pytest.raises(ValueError) as info:
        hyperparameters.load(str(path))
    assert message in str(info.value) and str(path) in str(info.value)
