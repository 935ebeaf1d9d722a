"""Run notebooks top to bottom (not in test mode) and store their outputs, as a contributor does after editing a
chapter: `python tools/run_notebooks.py nbs/foundations/02_attention.ipynb ...`. Then run `nbdev_clean`.
Each notebook runs in a fresh kernel-like shell in its own folder; the first error stops it and nothing is
written. Long training cells load their committed runs where the chapter provides them."""
import os, sys, time
from pathlib import Path

from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell


def run(path: Path) -> float:
    nb = read_nb(path)
    cwd = os.getcwd()
    os.chdir(path.parent)
    t0 = time.perf_counter()
    try:
        shell = CaptureShell()
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.outputs, cell.execution_count = [], None  # a cell that now prints nothing keeps nothing
            shell.cell(cell)
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            if errors:
                raise RuntimeError(f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}")
    finally:
        os.chdir(cwd)
    write_nb(nb, path)
    return time.perf_counter() - t0


if __name__ == "__main__":
    os.environ.pop("IN_TEST", None)
    for p in sys.argv[1:]:
        print(f"{p}: {run(Path(p).resolve()):.0f} s", flush=True)
