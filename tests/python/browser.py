"""Headless Chromium for the tests: found on the machine, or installed with apt-get.

The browser checks drive Debian's `chromium` through its `chromedriver` (the
`chromium-driver` package, built from the same source, so the two always match) with
selenium. Nothing is downloaded at run time: the driver's path is given to selenium,
so Selenium Manager never looks for one on the internet. As root on a machine with
apt-get the two packages are installed once, as `./run test` does for PostgreSQL;
otherwise the tests fail saying how to get them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.python.apt import AptInstallFailed, apt_get_install, can_install

APT_PACKAGES = ("chromium", "chromium-driver")
# Debian's real binary first: /usr/bin/chromium is a shell wrapper around it that adds nothing
# the tests need (and warns on some machines)
BROWSER_CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "/usr/bin/chromium")
DRIVER_CANDIDATES = ("chromedriver", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")

INSTALL_HINT = (
    "Chromium and its chromedriver were not found (`chromium` and `chromedriver` on PATH or"
    " in /usr/bin). The browser checks of the report site need them: the tests install"
    " Debian's `chromium` and `chromium-driver` packages with apt-get when run as root;"
    " otherwise install them yourself (`sudo apt-get install chromium chromium-driver`)"
    " or set CHROMIUM and CHROMEDRIVER to their paths."
)


class ChromiumNotInstalled(RuntimeError):
    """No Chromium or no chromedriver on this machine."""


@dataclass(frozen=True)
class Chromium:
    browser: Path
    driver: Path


def _find(candidates: tuple[str, ...], env: str) -> Path | None:
    given = os.environ.get(env)
    if given:
        return Path(given) if Path(given).is_file() else None
    for candidate in candidates:
        found = candidate if candidate.startswith("/") and os.access(candidate, os.X_OK) else shutil.which(candidate)
        if found and Path(found).is_file():
            return Path(found)
    return None


def find_chromium() -> Chromium | None:
    """The browser and its driver, from $CHROMIUM / $CHROMEDRIVER, Debian's paths or PATH."""
    browser = _find(BROWSER_CANDIDATES, "CHROMIUM")
    driver = _find(DRIVER_CANDIDATES, "CHROMEDRIVER")
    return Chromium(browser, driver) if browser and driver else None


def install_chromium(say: Callable[[str], None] = print) -> None:
    try:
        apt_get_install(APT_PACKAGES, "the browser tests", say)
    except AptInstallFailed as exc:
        raise ChromiumNotInstalled(f"{exc}\n{INSTALL_HINT}") from exc


def ensure_chromium(say: Callable[[str], None] = print) -> Chromium:
    """The installed browser and driver; installed first when missing and this is root with apt-get."""
    found = find_chromium()
    if found is None and can_install():
        install_chromium(say)
        found = find_chromium()
    if found is None:
        raise ChromiumNotInstalled(INSTALL_HINT)
    return found


def start_driver(chromium: Chromium, width: int = 1366, height: int = 900) -> Any:
    """A headless Chromium session through chromedriver, keeping the browser's console log."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium.browser)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the tests may run as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--force-color-profile=srgb",
        "--font-render-hinting=none",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=str(chromium.driver))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    return driver
