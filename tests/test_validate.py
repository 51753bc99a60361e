import json

from coursekit.cli import main

WEEK = "week01_mini"


def validate_json(root, in_dir, capsys) -> tuple[int, dict]:
    in_dir(root)
    code = main(["validate", WEEK, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_fixture_week_is_valid(minicourse, in_dir, capsys):
    code, report = validate_json(minicourse, in_dir, capsys)
    assert code == 0, report
    assert report["reference_points"] == report["max_points"] == 7
    assert report["stub_points"] == 0 and report["leaks"] == []
    assert report["mistakes_caught"] == report["mistakes_named"] == report["mistakes_total"] == 6
    assert report["variants_full_marks"] == report["variants_total"] == 4 and report["cross_function_loss"] == 0
    assert not report["reused"]

    # the valid verdict is recorded: --reuse gives it back while nothing changes, and runs again after a change
    assert main(["validate", WEEK, "--json", "--reuse"]) == 0
    assert json.loads(capsys.readouterr().out) == report | {"reused": True}
    hidden = minicourse / "autograder" / WEEK / "hidden.py"
    hidden.write_text(hidden.read_text() + "\n# edited\n")
    assert main(["validate", WEEK, "--json", "--reuse"]) == 0
    assert not json.loads(capsys.readouterr().out)["reused"]


def test_planted_check_that_the_stub_passes_fails_validation(minicourse, in_dir, capsys):
    public = minicourse / "autograder" / WEEK / "public.py"
    public.write_text(public.read_text() + (
        "\nCHECKS.append(Check('always_true', 'softmax', lambda ns: {'one': 1.0}, points=1))\n"))
    code, report = validate_json(minicourse, in_dir, capsys)
    assert code == 1
    planted = next(c for c in report["checks"] if c["name"] == "always_true")
    assert planted["stub_passed"] and not report["ok"]


def test_planted_mistake_no_check_catches_fails_validation(minicourse, in_dir, capsys):
    mistakes = minicourse / "autograder" / WEEK / "mistakes.py"
    mistakes.write_text(mistakes.read_text() + (
        "\nMISTAKES.append(Mistake('harmless', 'causal_mask', 'no effect', code='''\n"
        "def causal_mask(T):\n    return torch.ones(T, T).tril().bool()\n'''))\n"))
    code, report = validate_json(minicourse, in_dir, capsys)
    assert code == 1
    assert report["mistakes_total"] == 7 and report["mistakes_caught"] == 6
    assert next(m for m in report["mistakes"] if m["name"] == "harmless")["failed_checks"] == []


def test_leaked_hidden_checks_are_reported(minicourse, in_dir, capsys):
    release = minicourse / "release" / WEEK
    (release / "notes.py").write_text((minicourse / "autograder" / WEEK / "hidden.py").read_text())
    code, report = validate_json(minicourse, in_dir, capsys)
    assert code == 1
    assert any("notes.py: contains secret line" in leak for leak in report["leaks"])
    assert any("notes.py: names hidden check softmax_dim0_large" in leak for leak in report["leaks"])


def test_stale_release_is_reported(minicourse, in_dir, capsys):
    path = minicourse / "source" / WEEK / "mini.ipynb"
    path.write_text(path.read_text().replace("Softmax and causal masks.", "Softmax and causal masks, revised."))
    code, report = validate_json(minicourse, in_dir, capsys)
    assert code == 1 and any("is out of date" in p for p in report["problems"])


def test_graded_function_without_check_is_a_usage_error(minicourse, in_dir, capsys):
    public = minicourse / "autograder" / WEEK / "public.py"
    hidden = minicourse / "autograder" / WEEK / "hidden.py"
    for path in (public, hidden):
        path.write_text(path.read_text().replace('"causal_mask", partial', '"softmax", partial'))
    text = public.read_text().replace('Check("causal_mask_4", "causal_mask"', 'Check("causal_mask_4", "softmax"')
    public.write_text(text)
    in_dir(minicourse)
    assert main(["validate", WEEK]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "graded function `causal_mask` has no check" in err and "mini.ipynb" in err


FLOAT_MASK = """
VARIANTS.append(Variant("float_mask", "causal_mask", code='''
def causal_mask(T):
    return torch.ones(T, T).tril()
'''))
"""


def test_a_variant_that_loses_points_fails_validation(minicourse, in_dir, capsys):
    variants = minicourse / "autograder" / WEEK / "variants.py"
    variants.write_text(variants.read_text() + FLOAT_MASK)  # float, where the docstring says bool
    code, report = validate_json(minicourse, in_dir, capsys)
    assert code == 1 and report["variants_full_marks"] == 4 and report["variants_total"] == 5
    assert next(v for v in report["variants"] if v["name"] == "float_mask")["failed_checks"]


def test_too_few_variants_fail_validation(minicourse, in_dir, capsys):
    variants = minicourse / "autograder" / WEEK / "variants.py"
    variants.write_text(variants.read_text() + "\nVARIANTS = VARIANTS[1:]\n")
    code, report = validate_json(minicourse, in_dir, capsys)
    assert code == 1 and any("`softmax` has 1 accepted variants" in p for p in report["problems"])


MASKED_SOFTMAX = """
def probe_masked_softmax(ns, T=5):
    scores = randn(T, T, seed=3)
    mask = need(ns, "causal_mask")(T)
    return {"weights": need(ns, "softmax")(scores.masked_fill(~mask, float("-inf")))}


CHECKS.append(Check("masked_softmax", "causal_mask", probe_masked_softmax, points=1))
"""


def test_a_mistake_costs_only_its_own_functions_checks(minicourse, in_dir, capsys):
    """While causal_mask's check runs, softmax is the key's: softmax's mistakes cost nothing there."""
    public = minicourse / "autograder" / WEEK / "public.py"
    public.write_text(public.read_text() + MASKED_SOFTMAX)
    in_dir(minicourse)
    assert main(["release", WEEK]) == 0
    capsys.readouterr()
    code, report = validate_json(minicourse, in_dir, capsys)
    softmax_mistakes = [m for m in report["mistakes"] if m["function"] == "softmax"]
    assert softmax_mistakes and all("masked_softmax" not in m["failed_checks"] for m in softmax_mistakes)
    assert report["cross_function_loss"] == 0 and code == 0, report


FIXED_SHAPE = """
CHECKS.append(Check("mask_shape_fixed", "causal_mask", lambda ns: {"shape": list(need(ns, "causal_mask")(4).shape)},
                    points=1, visibility="{visibility}"))
"""


def test_a_public_check_its_released_outputs_answer_fails_validation(minicourse, in_dir, capsys):
    """A public check whose inputs never change: the expected outputs shipped for check() answer it."""
    public = minicourse / "autograder" / WEEK / "public.py"
    public.write_text(public.read_text() + FIXED_SHAPE.replace("{visibility}", "public"))
    in_dir(minicourse)
    assert main(["release", WEEK]) == 0
    capsys.readouterr()
    code, report = validate_json(minicourse, in_dir, capsys)
    assert code == 1
    assert [p for p in report["problems"] if "mask_shape_fixed has the same outputs at the grading inputs" in p]


def test_a_hidden_edge_case_may_keep_its_inputs(minicourse, in_dir, capsys):
    hidden = minicourse / "autograder" / WEEK / "hidden.py"
    hidden.write_text(hidden.read_text() + "\nfrom coursekit.probing import need\n"
                      + FIXED_SHAPE.replace("{visibility}", "hidden"))
    code, report = validate_json(minicourse, in_dir, capsys)
    assert code == 0 and report["problems"] == [], report
