"""Record wall times of `make test` / `make book` in _build/timings.json (read by the performance appendix).

Usage: python tools/record_timings.py <test|book> name=seconds ...  The entry keeps the machine, date and commit."""
import json, os, re, subprocess, sys, tempfile, time
from pathlib import Path

from transformer_nbdev.checkpoint import run_record  # the record every result file of the book carries

def notebook_times(log: Path) -> dict:
    "Per-notebook seconds from the `nbdev_test --timing` lines ('name.ipynb: N secs') of `log`."
    if not log.exists(): return {}
    found = (re.match(r"^(\S+\.ipynb): (\d+) secs$", line.strip()) for line in log.read_text().splitlines())
    return {m.group(1): int(m.group(2)) for m in found if m}

def main(kind: str, *pairs: str) -> None:
    if kind not in ("test", "book"): raise SystemExit(f"kind={kind!r} must be 'test' or 'book'")
    seconds = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not value.isdigit(): raise SystemExit(f"{pair!r} must look like name=seconds")
        seconds[name] = int(value)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    path = Path("_build/timings.json")
    data = json.loads(path.read_text()) if path.exists() else {}
    # run_record's fields (cpu, python, torch, threads...) plus the ones older files had: readers use either
    data[kind] = run_record() | dict(seconds=seconds, date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                     commit=commit, cores=os.cpu_count(),
                                     omp_num_threads=os.environ.get("OMP_NUM_THREADS", "1"),
                                     n_workers=os.environ.get("N_WORKERS", "2"))
    if kind == "test": data[kind]["notebooks"] = notebook_times(Path("_build/nbdev_test.log"))
    path.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".timings.")
    with os.fdopen(fd, "w") as f: json.dump(data, f, indent=1)
    os.replace(tmp, path)
    print(f"{kind} wall times (s): {seconds} -> {path}")

if __name__ == "__main__": main(*sys.argv[1:])
