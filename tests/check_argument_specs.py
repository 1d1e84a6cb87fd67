"""Check that every role's meta/argument_specs.yml and defaults/main.yml agree.

For each role's `main` entry point:
  * every variable in defaults/main.yml is declared in the argument spec, with the same default;
  * every optional variable in the argument spec has a default in defaults/main.yml;
  * every declared variable starts with the role's name (public variables are prefixed).
Exits non-zero and names each mismatch.
"""

import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def role_problems(role):
    defaults_file = role / "defaults" / "main.yml"
    specs_file = role / "meta" / "argument_specs.yml"
    defaults = yaml.safe_load(defaults_file.read_text()) if defaults_file.exists() else {}
    defaults = defaults or {}
    if not specs_file.exists():
        return [f"{role.name}: meta/argument_specs.yml is missing"] if defaults else []
    specs = yaml.safe_load(specs_file.read_text())["argument_specs"]
    options = (specs.get("main") or {}).get("options") or {}
    prefix = role.name.lstrip("_") + "_"
    problems = []
    for name, value in defaults.items():
        if name not in options:
            problems.append(f"{role.name}: {name} is in defaults/main.yml but not in the argument spec")
        elif options[name].get("default", None) != value:
            problems.append(
                f"{role.name}: {name}: default {options[name].get('default')!r} in the argument spec, "
                f"{value!r} in defaults/main.yml"
            )
    for name, spec in options.items():
        if not spec.get("required", False) and name not in defaults:
            problems.append(f"{role.name}: {name} is optional in the argument spec but has no default")
        if not name.startswith(prefix):
            problems.append(f"{role.name}: {name} does not start with {prefix!r}")
    return problems


def main():
    roles = sorted(p for p in (REPO / "roles").glob("*") if p.is_dir())
    problems = [p for role in roles for p in role_problems(role)]
    for p in problems:
        print(p)
    print(f"{len(roles)} roles checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
