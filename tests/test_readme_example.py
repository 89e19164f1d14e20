"""The README's "Testing your operator" example is the files in tests/examples/operator, and they pass."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "tests", "examples", "operator")


def test_readme_shows_the_example_files():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    for name in ("widget_operator.py", "test_operator.py"):
        with open(os.path.join(EXAMPLE, name)) as f:
            text = f.read()
        assert f"`tests/examples/operator/{name}`:\n\n```python\n{text}```\n" in readme, f"README's {name} differs"


def test_the_example_passes():
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "apiserver.testing.pytest_plugin",
                          "-p", "no:randomly", "-p", "no:cacheprovider", EXAMPLE],
                         capture_output=True, text=True, cwd=EXAMPLE, timeout=300,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0 and "1 passed" in out.stdout, out.stdout[-5000:] + out.stderr[-2000:]
