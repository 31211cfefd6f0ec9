"""Installing a Debian package a test needs, as root with apt-get: what the Chromium checks and
the Spark tests do when their program is missing, as `./run test` does for PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Callable


APT_TURN = "/tmp/salesperf-tests-apt.lock"


class AptInstallFailed(RuntimeError):
    """apt-get update or install exited with an error; the message holds its output."""


def can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def apt_get_install(packages: tuple[str, ...], purpose: str, say: Callable[[str], None] = print) -> None:
    """`apt-get install <packages>` (root only); says what it does and how long it took."""
    say(f"Installing {' and '.join(packages)} with apt-get for {purpose} (once)...")
    started = time.monotonic()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # The test processes run side by side and apt-get refuses to run twice at once: one
    # install at a time, the other waiting its turn.
    with open(APT_TURN, "w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise AptInstallFailed(
                    f"`{' '.join(command)}` failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
                )
    say(f"Installed {' and '.join(packages)} in {time.monotonic() - started:.0f} s.")
