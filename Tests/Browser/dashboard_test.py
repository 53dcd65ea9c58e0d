#!/usr/bin/env python3
"""Real-browser test of the ppds dashboard: headless Chromium driven by selenium.

Usage: dashboard_test.py PPDS_BINARY [SCREENSHOT.png]

Starts sessions in a throwaway repository, runs `ppds serve`, opens the dashboard, makes a
session stuck through the CLI and checks the page shows it without a reload, sends guidance by
clicking one of its options, pauses a session from the page, and checks the session files.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from ppds_browser import chrome, environment, serve, wait_for, click
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

PPDS = os.path.abspath(sys.argv[1])
SCREENSHOT = sys.argv[2] if len(sys.argv) > 2 else None
TMP = tempfile.mkdtemp(prefix="ppds-browser-")
REPO = os.path.join(TMP, "shop")
HOME = os.path.join(TMP, "home")
ENV = environment(HOME)


def run(*args, cwd=REPO):
    return subprocess.run(args, cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout


def ppds(*args):
    return run(PPDS, *args)


def session(issue):
    with open(os.path.join(HOME, "sessions", f"work-{issue}.json")) as f:
        return json.load(f)






def main():
    os.makedirs(REPO)
    run("git", "init", "-q", "-b", "main")
    with open(os.path.join(REPO, "README.md"), "w") as f:
        f.write("# shop\n")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "init")
    for issue, title in [(101, "Add a login form"), (102, "Token refresh for sessions"), (103, "Fix crash on empty cart"),
                         (104, "Update the checkout docs")]:
        ppds("start-work", str(issue), "--offline", "--no-hooks", f"--title={title}")
    ppds("update", "101", "--status", "working")
    ppds("update", "103", "--status", "planning_complete")
    ppds("ship", "104", "--pr", "https://github.com/example/shop/pull/42", "--force")

    server, url, dashboard = serve(PPDS, REPO, ENV)
    driver = None
    try:
        # The dashboard's one-time URL carries the token; the page trades it for a cookie.
        assert dashboard.startswith(url + "/?token="), dashboard

        driver = chrome("1280,900")
        driver.get(dashboard)
        wait_for(lambda: driver.current_url == url + "/", "the redirect that drops the token from the address")
        # The first view comes with the page: drawn by the time it has loaded, never "Loading…",
        # and nothing red says "connecting…" while data is shown.
        assert driver.find_elements(By.CSS_SELECTOR, "article[data-issue='#101']"), "the first view was not drawn at load"
        assert "Loading…" not in driver.page_source and "connecting…" not in driver.page_source
        # Group marks are drawn shapes, not emoji: headings read the same without an emoji font
        # (an emoji there renders as an empty box on a machine without one).
        headings = driver.execute_script("return [...document.querySelectorAll('h1, h2, header')].map(e => e.textContent).join('\\n');")
        assert not any(ord(c) >= 0x2190 for c in headings), f"a glyph an emoji font would draw: {headings!r}"
        # One vocabulary: the groups are the CLI's, in its order.
        assert "Starting" in driver.page_source or "Working" in driver.page_source
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "article[data-issue='#101']"), "the first render")
        wait_for(lambda: driver.find_element(By.ID, "live").text == "live", "the event stream")
        driver.execute_script("window.__sameDocument = true;")
        assert "PR Ready" in driver.page_source and "pull/42" in driver.page_source

        # A change made in a terminal shows up without a reload, standing out as stuck.
        ppds("update", "102", "--status", "stuck", "--reason", "Auth/Security decision needed",
             "--context", "Token refresh approach unclear - use sliding expiration or fixed?",
             "--option", "sliding", "--option", "fixed", "--option", "ask user preference")
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "section[data-group='stuck'] article[data-issue='#102']"),
                 "the stuck session on the page")
        assert driver.execute_script("return window.__sameDocument === true;"), "the page reloaded"
        card = driver.find_element(By.CSS_SELECTOR, "article[data-issue='#102']")
        assert "Auth/Security decision needed" in card.text

        # Guidance from the page, by choosing an option.
        click(driver, "article[data-issue='#102'] button[data-option='sliding']")
        wait_for(lambda: [g["message"] for g in session(102).get("guidance", [])] == ["sliding"], "the guidance in the file")

        # Typed guidance, sent with the keyboard.
        wait_for(lambda: driver.find_element(By.ID, "guide-102").send_keys("30 minute window, please", Keys.ENTER) or True,
                 "typing guidance")
        wait_for(lambda: len(session(102).get("guidance", [])) == 2, "the typed guidance in the file")
        assert session(102)["guidance"][1]["message"] == "30 minute window, please"
        # The card says the answer is not read yet; once the worker reads it (ppds wait), "read".
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "article[data-issue='#102'] [data-answer='unread']"), "the unread answer")
        ppds("wait", "102", "--timeout", "5s")
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "article[data-issue='#102'] [data-answer='read']"), "the read answer")

        # Pause and resume from the page.
        click(driver, "article[data-issue='#101'] button[data-action='pause']")
        wait_for(lambda: session(101)["status"] == "paused", "the pause in the file")
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "section[data-group='paused'] article[data-issue='#101']"), "the paused group")
        # Resume with the keyboard: the button takes focus and Enter presses it.
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "article[data-issue='#101'] button[data-action='resume']")
                 .send_keys(Keys.ENTER) or True, "pressing Resume with the keyboard")
        wait_for(lambda: session(101)["status"] == "working", "the resume in the file")
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "section[data-group='working'] article[data-issue='#101']"), "the working group")
        assert driver.execute_script("return window.__sameDocument === true;"), "the page reloaded"

        if SCREENSHOT:
            time.sleep(0.3)
            driver.save_screenshot(SCREENSHOT)
        print("dashboard test: passed")
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
