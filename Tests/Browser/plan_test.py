#!/usr/bin/env python3
"""Plan review in the dashboard, with a hostile plan, in headless Chromium (selenium).

Usage: plan_test.py PPDS_BINARY [SCREENSHOT.png]

- A worker's plan holds HTML, a script, `</script>` and terminal escape codes. The "Plan ready
  for review" card shows it as text: nothing runs, no element comes from it.
- Approve answers the version shown: the session file records the approval, and the session
  goes to working. Request changes with the words typed sends it back (planning).
- A plan the worker replaced after the page showed it is not approved: the server refuses the
  old version and the page says so.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from ppds_browser import chrome, environment, serve, wait_for
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

PPDS = os.path.abspath(sys.argv[1])
SCREENSHOT = sys.argv[2] if len(sys.argv) > 2 else None
TMP = tempfile.mkdtemp(prefix="ppds-plan-")
REPO = os.path.join(TMP, "shop")
HOME = os.path.join(TMP, "home")
ENV = environment(HOME, USER="reviewer")

HOSTILE = ("Plan: <img src=x onerror=\"window.__pwned='img'\">\n"
           "</script><script>window.__pwned='script'</script>\n"
           "<b>bold?</b> \x1b[31mred\x1b[0m \x1b]0;title\x07 done\n")


def run(*args, cwd=REPO, stdin=None):
    return subprocess.run(args, cwd=cwd, env=ENV, check=True, capture_output=True, text=True, input=stdin).stdout


def ppds(*args, stdin=None):
    return run(PPDS, *args, stdin=stdin)


def session(issue):
    with open(os.path.join(HOME, "sessions", f"work-{issue}.json")) as f:
        return json.load(f)




def assert_nothing_ran(driver, when):
    pwned = driver.execute_script("return window.__pwned === undefined ? null : String(window.__pwned);")
    assert pwned is None, f"{when}: hostile code ran ({pwned})"
    try:
        raise AssertionError(f"{when}: an alert opened: {driver.switch_to.alert.text}")
    except NoAlertPresentException:
        pass


def main():
    os.makedirs(REPO)
    run("git", "init", "-q", "-b", "main")
    with open(os.path.join(REPO, "README.md"), "w") as f:
        f.write("# shop\n")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "init")
    ppds("start-work", "301", "302", "303", "--offline", "--no-hooks")
    ppds("update", "301", "--status", "planning_complete", "--plan", "-", stdin=HOSTILE)
    ppds("update", "302", "--status", "planning_complete", "--plan", "-", stdin="Plan for 302\n")
    ppds("update", "303", "--status", "planning_complete", "--plan", "-", stdin="Plan for 303, first\n")

    server, url, dashboard = serve(PPDS, REPO, ENV)
    driver = None
    try:

        driver = chrome("1280,1000")
        driver.get(dashboard)
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "article[data-issue='#301'] pre.plan-text"), "the plan")
        time.sleep(1)
        assert_nothing_ran(driver, "rendering the plan")

        # The plan is text: exactly the worker's words, no element made from them.
        card = driver.find_element(By.CSS_SELECTOR, "section[data-group='planReady'] article[data-issue='#301']")
        text = driver.execute_script("return arguments[0].querySelector('pre.plan-text').textContent;", card)
        assert text == HOSTILE, repr(text)
        made = driver.execute_script("return arguments[0].querySelectorAll('pre.plan-text *').length;", card)
        assert made == 0, f"{made} elements made from the plan"
        assert not driver.find_elements(By.CSS_SELECTOR, "img, b"), "the plan's HTML became elements"
        assert "Plan v1" in card.text, card.text
        if SCREENSHOT:
            driver.save_screenshot(SCREENSHOT)

        # Approve: recorded with the version shown, the session is working, the card moves.
        card.find_element(By.CSS_SELECTOR, "button[data-action='approve']").click()
        wait_for(lambda: session(301)["status"] == "working", "the approval in the session file")
        answer = session(301)["plans"][0]["answers"][0]
        assert answer["verdict"] == "approved" and answer["by"]["user"] == "reviewer", answer
        assert any("Plan v1 approved" in g["message"] for g in session(301)["guidance"]), session(301)["guidance"]
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "section[data-group='working'] article[data-issue='#301']"),
                 "the approved session among the working ones")
        assert_nothing_ran(driver, "approving")

        # Request changes needs words; with them the plan goes back.
        card = driver.find_element(By.CSS_SELECTOR, "article[data-issue='#302']")
        card.find_element(By.CSS_SELECTOR, "button[data-action='revise']").click()
        time.sleep(0.5)
        assert session(302)["status"] == "planning_complete", "an empty request was sent"
        card.find_element(By.CSS_SELECTOR, "input").send_keys("Split it into <two> steps")
        card.find_element(By.CSS_SELECTOR, "button[data-action='revise']").click()
        wait_for(lambda: session(302)["status"] == "planning", "the request for changes in the session file")
        answer = session(302)["plans"][0]["answers"][0]
        assert answer["verdict"] == "revise" and answer["message"] == "Split it into <two> steps", answer

        # A plan replaced after the page showed it: the button drawn for v1 (kept, as a slow page
        # would still show it) answers v1, which the server refuses; v2 stays unanswered.
        driver.execute_script("window.__stale = document.querySelector(\"article[data-issue='#303'] button[data-action='approve']\");")
        ppds("revise", "303", "more detail")
        ppds("update", "303", "--status", "planning_complete", "--plan", "-", stdin="Plan for 303, second\n")
        driver.execute_script("window.__stale.click();")
        wait_for(lambda: "replaced" in driver.find_element(By.ID, "toast").text, "the refusal of the stale version")
        assert [len(p["answers"]) for p in session(303)["plans"]] == [1, 0], session(303)["plans"]
        assert session(303)["status"] == "planning_complete"
        wait_for(lambda: "Plan for 303, second" in driver.find_element(By.CSS_SELECTOR, "article[data-issue='#303'] pre.plan-text").text,
                 "the new version on the page")
        assert_nothing_ran(driver, "the end")
        print("plan test: passed")
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
