"""The package's shape: imports flow one way (commands -> workflows -> evaluation -> engine -> foundation),
no import circles, no private names imported across modules, console output only in the command layer."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "coursekit"

# the layer of each module or sub-package; a module may import only from its own layer or below
LAYERS = {
    "errors": 0, "files": 0, "config": 0, "notebook": 0, "arrays": 0, "checks": 0, "probing": 0, "deriving": 0,
    "safe_text": 0,
    "engine": 1,
    "compare": 2, "explain": 2, "scoring": 2, "reference": 2,
    "authoring": 3, "grading": 3, "gradescope": 3, "selfcheck": 3, "selfcheck_view": 3, "__init__": 3,
    "site": 3,
    "classroom": 3, "distribution": 3,
    "console": 4, "cli": 4,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS[parts[1] if len(parts) > 1 else "__init__"]


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every `coursekit` import in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "coursekit":
            names = [a.name for a in node.names]
            submodules = [f"{node.module}.{n}" for n in names if f"{node.module}.{n}" in MODULES]
            found += [(m, []) for m in submodules]
            found.append((node.module, [n for n in names if f"{node.module}.{n}" not in submodules]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "coursekit"]
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_flow_down_the_layers(module):
    for target, _ in imports(MODULES[module]):
        if target in MODULES and target != "coursekit":
            assert layer(target) <= layer(module), f"{module} ({layer(module)}) imports {target} ({layer(target)})"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_names_across_modules(module):
    for target, names in imports(MODULES[module]):
        private = [n for n in names if n.startswith("_") and not n.endswith("__")]  # dunders are public
        assert not private, f"{module} imports private {private} from {target}"


def test_no_import_circle():
    graph = {m: {t for t, _ in imports(p) if t in MODULES and t not in (m, "coursekit")} for m, p in MODULES.items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            assert state.get(nxt) != 1, "import circle: " + " -> ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])


def test_only_the_command_layer_renders_to_the_console():
    for module, path in MODULES.items():
        if layer(module) == 4 or module in ("coursekit.selfcheck_view", "coursekit.authoring.samples"):
            continue  # selfcheck_view shows the mentee's check() in the notebook; samples is a script
        tree = ast.parse(path.read_text())
        names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any(n.split(".")[0] in ("rich", "argparse") for n in names), f"{module} parses or renders"


def test_every_module_has_a_layer():
    for module in MODULES:
        layer(module)
