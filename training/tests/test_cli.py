"""train.py's command line: DESIGN.md section 4 flags, SageMaker defaults, hyperparameters as SageMaker sends them."""
import logging

import pytest

from dogbreed import cli

SM_ENV = {"SM_TRAINING_ENV": "{}", "SM_CHANNEL_TRAINING": "/opt/ml/input/data/training",
          "SM_MODEL_DIR": "/opt/ml/model"}
LOCAL = ["--data", "/d", "--model-dir", "/m", "--checkpoint-dir", "/c"]


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


def test_hyperparameters_as_sagemaker_passes_them():
    # The toolkit JSON-decodes each value and passes str() of it: True, 0.01, 64, resnet18.
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


def test_tuner_added_hyperparameters_are_logged_and_ignored(caplog):
    with caplog.at_level(logging.WARNING):
        args = cli.parse_args(["--_tuning_objective_metric", "Test Loss", "--epochs", "2"] + LOCAL, {})
    assert args.epochs == 2
    assert "--_tuning_objective_metric Test Loss" in caplog.text


@pytest.mark.parametrize("argv,message", [
    (["--epochs", "0"], "--epochs must be an integer >= 1 (got '0')"),
    (["--batch-size", "abc"], "--batch-size must be an integer >= 1 (got 'abc')"),
    (["--learning-rate", "-1"], "--learning-rate must be a number in (0, 10) (got '-1')"),
    (["--arch", "vgg16"], "--arch must be one of resnet101, resnet18, resnet34, resnet50 (got 'vgg16')"),
    (["--pretrained", "maybe"], "--pretrained must be true or false (got 'maybe')"),
])
def test_bad_values_are_refused_with_the_flag_and_the_allowed_values(argv, message, capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(argv + LOCAL, {})
    assert message in capsys.readouterr().err
