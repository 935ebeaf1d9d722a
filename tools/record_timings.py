"""Record wall times of `make test` / `make book` in _build/timings.json (read by the performance appendix).

Usage: python tools/record_timings.py <test|book> name=seconds ...  The entry keeps the machine, date and commit."""
import json, os, platform, subprocess, sys, tempfile, time
from pathlib import Path

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"): return line.split(":", 1)[1].strip()
    except OSError: pass
    return platform.processor() or "unknown"

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
    data[kind] = dict(seconds=seconds, date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit=commit,
                      cpu=cpu_model(), cores=os.cpu_count(), python=platform.python_version())
    path.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".timings.")
    with os.fdopen(fd, "w") as f: json.dump(data, f, indent=1)
    os.replace(tmp, path)
    print(f"{kind} wall times (s): {seconds} -> {path}")

if __name__ == "__main__": main(*sys.argv[1:])
