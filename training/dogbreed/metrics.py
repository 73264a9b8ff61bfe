"""The metric lines SageMaker scrapes, defined once in training/metrics.json.

metrics.json (shipped beside train.py) holds the names and regexes the tuning and training jobs
use; this module prints the lines in the one format those regexes accept and refuses to start if
they ever disagree, so a tuning job can never silently optimise a metric it cannot read.
"""
import json
import os
import re

TEST_LOSS = "Test Loss"
TEST_ACCURACY = "Test Accuracy"

DEFAULT_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "metrics.json")


def load_definitions(path=DEFAULT_PATH):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    definitions = {d["Name"]: d["Regex"] for d in doc["definitions"]}
    for name in (TEST_LOSS, TEST_ACCURACY):
        if name not in definitions:
            raise ValueError("%s defines no metric named %r (has %s)" % (path, name, sorted(definitions)))
    return definitions


def metric_line(name, value):
    # Fixed-point, never an exponent: the regexes in metrics.json are plain "[0-9]+\.[0-9]+".
    return "%s: %.6f" % (name, value)


def check_definitions(definitions):
    """Fail fast if a printed line would not be captured back as the same number."""
    for name, regex in definitions.items():
        for sample in (0.0, 0.123456, 4.5, 1234.5):
            line = metric_line(name, sample)
            match = re.search(regex, line)
            if not match or abs(float(match.group(1)) - sample) > 1e-6:
                raise ValueError("metric regex %r for %r does not capture the line %r" % (regex, name, line))
