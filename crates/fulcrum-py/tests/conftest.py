"""Shared by the pytest suite of the Python package: the repository, the `fulcrum` binary the
results are compared with, and the conformance models beside the repository."""

import io
import os
import pathlib
import subprocess

import numpy as np
import pandas as pd
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
SAMPLES = ROOT.parent / "shared" / "conformance" / "test-models" / "samples"


@pytest.fixture(scope="session")
def fulcrum_bin() -> pathlib.Path:
    """The command-line binary: $FULCRUM_BIN, else target/debug/fulcrum (tests/run.sh builds it)."""
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    path = pathlib.Path(os.environ.get("FULCRUM_BIN", target / "debug" / "fulcrum"))
    if not path.is_file():
        pytest.fail(f"{path} is missing: build it with `cargo build --bin fulcrum`, or set FULCRUM_BIN")
    return path


@pytest.fixture(scope="session")
def samples() -> pathlib.Path:
    """The sample models of the conformance suite (../shared/conformance)."""
    if not SAMPLES.is_dir():
        if os.environ.get("FULCRUM_REQUIRE_CONFORMANCE") == "1":
            pytest.fail(f"{SAMPLES} is missing")
        pytest.skip(f"{SAMPLES} is missing")
    return SAMPLES


def run_cli(binary, *args) -> str:
    """Runs the binary from the repository root and returns its standard output."""
    done = subprocess.run([str(binary), *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"fulcrum {' '.join(map(str, args))} failed:\n{done.stderr}"
    return done.stdout


def read_csv(text_or_path) -> pd.DataFrame:
    """A CSV as fulcrum writes it, every number parsed back exactly by Python's float (an empty
    cell is NaN); columns that are not all numbers stay text."""
    source = io.StringIO(text_or_path) if isinstance(text_or_path, str) else text_or_path
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    for column in frame.columns:
        try:
            frame[column] = [float(cell) if cell != "" else np.nan for cell in frame[column]]
        except ValueError:
            pass
    return frame


def same_numbers(a, b) -> bool:
    """Equal as numbers, element for element (NaN equal to NaN; no tolerance)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
