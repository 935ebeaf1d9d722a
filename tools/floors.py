"""The oldest versions settings.ini declares for the runtime dependencies, as `name==version` pins:
`python tools/floors.py` prints them (torch last), for CI's job on the oldest declared versions and for
tests/test_package.py. A floor is true only if tools/smoke.py passes with exactly these versions installed."""
import configparser, re, sys
from pathlib import Path


def floors(settings: Path = Path(__file__).resolve().parents[1] / "settings.ini") -> list[str]:
    "`name==version` for each `name>=version` of settings.ini's `requirements`."
    cfg = configparser.ConfigParser(delimiters=["="])
    cfg.read(settings)
    pins = []
    for req in cfg["DEFAULT"]["requirements"].split():
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9][0-9A-Za-z.]*)", req)
        if m is None:
            raise ValueError(f"settings.ini requirement {req!r} is not of the form name>=version")
        pins.append(f"{m[1]}=={m[2]}")
    return sorted(pins, key=lambda p: p.startswith("torch=="))


if __name__ == "__main__":
    print(" ".join(floors(Path(sys.argv[1]) if len(sys.argv) > 1 else floors.__defaults__[0])))
