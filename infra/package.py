"""``make package``: the deployable template and zip of one stage (prod by default).

``chalice package`` builds the zip and a SAM template from ``app.py`` and ``.chalice/config.json``, merged with
``infra/resources.json`` (tables, bucket, queues, user pool, roles' policies). What Chalice cannot express is added
here, on the merged template: the public entry points in their own function and role (``infra/public.py``), API
Gateway's own answers in the app's error shape (``infra/responses.py``), and logs, tracing, alarms and the dashboard
(``infra/operations.py``). The zip is then made smaller and precompiled (``infra/bundle.py``).

    python -m infra.package [--stage prod|dev] OUT
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from infra import bundle, operations, public, responses

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("prod", "dev")
REGION = "eu-south-1"


class PackagingFailed(RuntimeError):
    """``chalice package`` exited with an error (its output is in the message)."""


def chalice_package(stage: str, out: Path) -> None:
    """Run ``chalice package`` for ``stage`` into ``out`` (replaced)."""
    chalice = Path(sys.executable).parent / "chalice"
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", REGION)}
    command = [str(chalice), "package", "--stage", stage, "--merge-template", "infra/resources.json", str(out)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=900)
    if result.returncode != 0:
        raise PackagingFailed(result.stdout[-2000:] + result.stderr[-4000:])


def finish(template: dict[str, object], stage: str) -> dict[str, object]:
    """The merged template with the public function apart and everything operations need."""
    public.split(template)
    responses.add(template)
    operations.add(template, stage)
    return template


def build(stage: str, out: Path) -> Path:
    """Package ``stage`` into ``out``; the path of the finished ``sam.json``."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    chalice_package(stage, out)
    bundle.optimise(out / "deployment.zip")
    path = out / "sam.json"
    template = json.loads(path.read_text())
    path.write_text(json.dumps(finish(template, stage), indent=2, sort_keys=False) + "\n")
    return path


def main() -> None:
    """Command line: ``python -m infra.package --stage prod build/package``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", choices=STAGES, default="prod")
    parser.add_argument("out", type=Path)
    arguments = parser.parse_args()
    try:
        path = build(arguments.stage, arguments.out)
    except PackagingFailed as failure:
        sys.exit(f"chalice package failed:\n{failure}")
    size = (arguments.out / "deployment.zip").stat().st_size / 1e6
    print(f"{arguments.stage}: {path} and deployment.zip ({size:.1f} MB)")


if __name__ == "__main__":
    main()
