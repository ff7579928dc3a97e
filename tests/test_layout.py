"""The house stays easy to walk: no two modules of the package import each other."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path, package: str = "antifraud") -> set[str]:
    """Modules of the package `path` imports (at any depth: a function-level import counts too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == package:
                out |= {f"{package}.{a.name}" for a in node.names}
            elif node.module.startswith(package + "."):
                out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith(package + ".")}
    return out


def test_no_two_modules_import_each_other():
    modules = {}
    for path in (ROOT / "antifraud").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph = {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}
    pairs = sorted({tuple(sorted((a, b))) for a, deps in graph.items() for b in deps if a in graph.get(b, ())})
    # a package's __init__ and its own modules may know each other; nothing else
    pairs = [(a, b) for a, b in pairs if not (b.startswith(a + ".") or a.startswith(b + "."))]
    assert pairs == [], pairs


def test_ui_and_wall_no_longer_import_each_other():
    assert "antifraud.ui" not in _imports(ROOT / "antifraud" / "wall.py")


def test_no_full_collection_after_every_script_run():
    """Streamlit's default gc.collect(2) after each run was half the server's CPU per page view
    (py-spy under load, docs/performance.md); the project's config turns it off."""
    import tomllib
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
