"""The local analyser's quality on the held-out sets, with the stack's real embeddings server and the
committed classifier weights: combined (rules + embedding) must reach macro-F1 0.85 on the holdout
that training never saw, and beat the rules alone on both holdouts."""

import json
import os
import subprocess

from conftest import REPO_ROOT, parse_env_file, stack_env_path


def evaluate(stack, path):
    env = dict(os.environ)
    env["COACHING_EMBEDDINGS_URL"] = parse_env_file(stack_env_path())["COACHING_EMBEDDINGS_URL"]
    done = subprocess.run(
        [str(stack.binary), "evaluate-local", "--file", path, "--format", "json",
         "--mode", "rules", "--mode", "embedding", "--mode", "combined",
         "--classifier", str(REPO_ROOT / "analyser" / "situation-classifier.json")],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_combined_analyser_reaches_the_target_on_the_holdout(stack):
    report = evaluate(stack, "eval/local-analyser-holdout.jsonl")
    assert report["combined"]["macro_f1"] >= 0.85, report["combined"]["macro_f1"]
    assert report["combined"]["macro_f1"] > report["rules"]["macro_f1"]


def test_combined_analyser_beats_rules_on_the_second_holdout(stack):
    report = evaluate(stack, "eval/local-analyser-holdout-2.jsonl")
    assert report["combined"]["macro_f1"] > report["rules"]["macro_f1"] + 0.05
    assert report["combined"]["macro_f1"] >= 0.80


def test_training_refuses_a_holdout_file(stack):
    done = subprocess.run(
        [str(stack.binary), "train-local", "--file", "eval/local-analyser-holdout.jsonl", "--output", "/dev/null",
         "--embeddings-url", "http://127.0.0.1:9/v1"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "holdout" in done.stderr
