"""What the browser scripts (the tests here and docs/tools/screenshots.py) share: the
environment of a throwaway PPDS_HOME, waiting, clicking, `ppds serve` and headless Chromium."""
import os
import shutil
import subprocess
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def environment(home, **extra):
    """The process environment for ppds and git in a throwaway world: its PPDS_HOME, a git
    identity, no colour."""
    return dict(os.environ, PPDS_HOME=home, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@ppds.invalid",
                GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@ppds.invalid", NO_COLOR="1", **extra)


def wait_for(predicate, what, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def click(driver, selector):
    """Clicks what `selector` finds; the page re-renders on every event, so retry when the
    element was replaced between finding and clicking it."""
    wait_for(lambda: driver.find_element(By.CSS_SELECTOR, selector).click() or True, f"a click on {selector}")


def serve(ppds, repo, env):
    """Starts `ppds serve` on a free port; returns the process, its URL and the dashboard's
    one-time URL (with the token) from its first line."""
    server = subprocess.Popen([ppds, "serve", "--port", "0", "--interval", "1"], cwd=repo, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = server.stdout.readline()
    assert "listening on" in line, line
    url = line.split("listening on ")[1].split(" ")[0]
    dashboard = line.split("dashboard at ")[1].split(" ")[0]
    return server, url, dashboard


def chrome(window_size="1280,900"):
    """Headless Chromium through Debian's chromedriver."""
    options = Options()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={window_size}"]:
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
