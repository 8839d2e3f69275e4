#!/usr/bin/python3
"""The CI workflow, .github/workflows/netbench.yml, parsed (python3-yaml):

- it is what ci/workflow writes from `$NETBENCH_EXE list --json`;
- its profile matrix names every profile netbench has, once, in its order,
  and nothing else;
- the profile job runs `ci/test --suite PROFILE` and `ci/run -p PROFILE`
  (ci/run passes --fail-env-changed: a case that changes the environment
  fails the job) and uploads results/ (results.json, report.html) always;
- the unit, integration, sanitize, valgrind, fuzz and netem-vm jobs run
  their ci/ scripts; every step past the checkout runs a ci/ script;
- each job runs privileged in Debian 12 (namespaces and qdiscs).

The checker is also run on broken copies (a profile missing, one extra, a
step that is not a ci/ script, ci/run without --fail-env-changed): each
must be reported, so the test can fail.
"""
import copy
import json
import os
import subprocess
import sys

import yaml

ROOT = os.environ["NETBENCH_SOURCE_ROOT"]
EXE = os.environ["NETBENCH_EXE"]
WORKFLOW = os.path.join(ROOT, ".github", "workflows", "netbench.yml")
PREP = ("apt-get update", "git config --global --add safe.directory")
LANES = {"unit": "ci/test --suite unit",
         "integration": "ci/test --no-suite matrix --no-suite unit",
         "sanitize": "ci/test --sanitize",
         "valgrind": "ci/test --valgrind",
         "fuzz": "ci/fuzz --time",
         "netem-vm": "ci/netem-vm build/netbench"}


def runs(job):
    return [s["run"] for s in job.get("steps", []) if "run" in s]


def problems(doc, profiles, ci_run):
    """Every way doc falls short of the contract above, one line each."""
    out = []
    jobs = doc.get("jobs") or {}
    for name, cmd in LANES.items():
        if name not in jobs:
            out.append(f"no job '{name}'")
        elif not any(r.startswith(cmd) for r in runs(jobs[name])):
            out.append(f"job '{name}' does not run '{cmd}'")
    prof = jobs.get("profile")
    if prof is None:
        return out + ["no job 'profile'"]
    matrix = prof.get("strategy", {}).get("matrix", {}).get("profile")
    if matrix != profiles:
        missing = [p for p in profiles if p not in (matrix or [])]
        extra = [p for p in (matrix or []) if p not in profiles]
        out.append(f"profile matrix {matrix} is not netbench's {profiles} "
                   f"(missing {missing}, unknown {extra})")
    r = runs(prof)
    if "ci/test --suite ${{ matrix.profile }}" not in r:
        out.append("profile job does not run ci/test --suite PROFILE")
    if not any(x.startswith("ci/run -p ${{ matrix.profile }} -o results")
               for x in r):
        out.append("profile job does not run ci/run -p PROFILE -o results")
    if "--fail-env-changed" not in ci_run:
        out.append("ci/run does not pass --fail-env-changed")
    up = [s for s in prof.get("steps", [])
          if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    if not any("results/" in s.get("with", {}).get("path", "") and
               s.get("if") == "always()" for s in up):
        out.append("profile job does not always upload results/")
    for name, job in jobs.items():
        c = job.get("container", {})
        if c.get("image") != "debian:12" or "--privileged" not in c.get(
                "options", ""):
            out.append(f"job '{name}' is not privileged Debian 12")
        for x in runs(job):
            if not x.startswith("ci/") and not x.startswith(PREP):
                out.append(f"job '{name}' runs '{x}', not a ci/ script")
    return out


def main():
    listing = json.loads(subprocess.run([EXE, "list", "--json"], check=True,
                                        capture_output=True,
                                        text=True).stdout)
    profiles = [p["name"] for p in listing["profiles"]]
    ci_run = open(os.path.join(ROOT, "ci", "run")).read()
    doc = yaml.safe_load(open(WORKFLOW))
    failed = 0

    gen = subprocess.run([os.path.join(ROOT, "ci", "workflow"), "--check",
                          EXE], capture_output=True, text=True)
    if gen.returncode != 0:
        print(f"FAIL: {gen.stderr.strip()}")
        failed += 1
    for p in problems(doc, profiles, ci_run):
        print(f"FAIL: {p}")
        failed += 1
    print(f"workflow: {len(doc['jobs'])} jobs, profile matrix "
          f"{doc['jobs']['profile']['strategy']['matrix']['profile']}")

    def broken(what, mutate, text=ci_run):
        d = copy.deepcopy(doc)
        mutate(d)
        return what, problems(d, profiles, text)

    matrix = lambda d: d["jobs"]["profile"]["strategy"]["matrix"]["profile"]
    cases = [
        broken("a profile missing", lambda d: matrix(d).pop()),
        broken("an unknown profile", lambda d: matrix(d).append("5G_1ms")),
        broken("a step not in ci/", lambda d: d["jobs"]["unit"]["steps"]
               .append({"run": "meson test -C build"})),
        broken("no valgrind job", lambda d: d["jobs"].pop("valgrind")),
        broken("ci/run without --fail-env-changed", lambda d: None,
               ci_run.replace("--fail-env-changed", "")),
    ]
    for what, found in cases:
        if not found:
            print(f"FAIL: the checker misses {what}")
            failed += 1
        else:
            print(f"ok: {what} is caught: {found[0]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
