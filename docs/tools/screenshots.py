#!/usr/bin/python3
"""Takes the README's pictures of live workers: the interactive `ppds watch` (a real tmux
pane, `capture-pane -e` rendered by pane_to_png.py) and the dashboard (headless Chromium).

Usage: /usr/bin/python3 docs/tools/screenshots.py PPDS_BINARY [OUT_FOLDER]   (default: docs)

Four sessions in a throwaway repository, each with an agent spawned by `ppds spawn` in tmux
(a private TMUX_TMPDIR, so the user's tmux is never touched): one busy, one stuck with
options, one with a plan to review, and one whose agent is killed with `kill -9` while it
works. Needs tmux, chromium, chromedriver and selenium (`bash .ci/deps --browser`).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Browser"))
from ppds_browser import chrome, environment, serve, wait_for  # noqa: E402 (the shared browser helpers)
from selenium.webdriver.common.by import By  # noqa: E402

PPDS = os.path.abspath(sys.argv[1])
OUT = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
TMP = tempfile.mkdtemp(prefix="ppds-shots-")
REPO = os.path.join(TMP, "shop")
HOME = os.path.join(TMP, "home")
TMUX_DIR = os.path.join(TMP, "tmux")
ENV = environment(HOME, TMUX_TMPDIR=TMUX_DIR, TMUX="", PATH=os.path.dirname(PPDS) + ":" + os.environ.get("PATH", "/usr/bin:/bin"))


def run(*args, cwd=REPO, stdin=None):
    return subprocess.run(args, cwd=cwd, env=ENV, check=True, capture_output=True, text=True, input=stdin).stdout


def ppds(*args, stdin=None):
    return run(PPDS, *args, stdin=stdin)


def agent_pid(issue):
    import json
    with open(os.path.join(HOME, "sessions", f"work-{issue}.json")) as f:
        supervisor = json.load(f)["agentProcess"]["pid"]
    with open(f"/proc/{supervisor}/task/{supervisor}/children") as f:
        return int(f.read().split()[0])


def main():
    os.makedirs(REPO)
    os.makedirs(TMUX_DIR)
    run("git", "init", "-q", "-b", "main")
    with open(os.path.join(REPO, "README.md"), "w") as f:
        f.write("# shop\n")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "init")
    titles = {101: "Add a login form", 102: "Token refresh for sessions", 103: "Fix crash on empty cart", 104: "Update the checkout docs"}
    for issue, title in titles.items():
        ppds("start-work", str(issue), "--offline", "--no-hooks", f"--title={title}")
    # Agents by argv: a busy loop, and quiet ones that wait.
    ppds("spawn", "101", "--", "timeout", "300", "sh", "-c", "while :; do :; done")
    for issue in (102, 103, 104):
        ppds("spawn", str(issue), "--", "sleep", "300")
    ppds("update", "101", "--status", "working")
    ppds("update", "102", "--status", "stuck", "--reason", "Auth/Security decision needed",
         "--context", "Token refresh approach unclear - use sliding expiration or fixed?",
         "--option", "sliding", "--option", "fixed", "--option", "ask user preference")
    ppds("update", "103", "--status", "planning")
    ppds("update", "103", "--status", "planning_complete", "--plan", "-",
         stdin="1. Guard the empty list in cart totals\n2. A test for an empty cart\n3. Ship\n")
    ppds("update", "104", "--status", "working")
    os.kill(agent_pid(104), signal.SIGKILL)
    wait_for(lambda: "while working" in ppds("status"), "the killed agent in status")

    # The interactive watch, 80x24, in a tmux of its own.
    socket = os.path.join(TMP, "watch.sock")
    tmux = ["tmux", "-S", socket]
    subprocess.run(tmux + ["-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "24", "-c", REPO,
                           "-e", "PPDS_HOME=" + HOME, "-e", "TERM=xterm-256color", "--", PPDS, "watch", "--interval", "2"],
                   env=ENV, check=True)
    try:
        def screen():
            return subprocess.run(tmux + ["capture-pane", "-p"], env=ENV, capture_output=True, text=True).stdout
        wait_for(lambda: "#102" in screen() and "1) sliding" in screen(), "the watch")
        time.sleep(2.5)  # a second sample: busy or idle by CPU time
        capture = os.path.join(TMP, "watch.txt")
        with open(capture, "w") as f:
            f.write(subprocess.run(tmux + ["capture-pane", "-e", "-p"], env=ENV, capture_output=True, text=True).stdout)
        subprocess.run([sys.executable, os.path.join(HERE, "pane_to_png.py"), capture, os.path.join(OUT, "watch-agents.png"), "80", "24"],
                       check=True)
    finally:
        subprocess.run(tmux + ["kill-server"], env=ENV, capture_output=True)

    server, _, dashboard = serve(PPDS, REPO, ENV)
    driver = None
    try:
        driver = chrome("1280,1000")
        driver.get(dashboard)
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "article[data-issue='#102']"), "the dashboard")
        time.sleep(2.5)
        driver.save_screenshot(os.path.join(OUT, "dashboard-agents.png"))
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)
        ppds("stop", "101", "102", "103")
        subprocess.run(["tmux", "-L", "ppds", "kill-server"], env=ENV, capture_output=True)
        shutil.rmtree(TMP, ignore_errors=True)
    print(f"wrote {OUT}/watch-agents.png and {OUT}/dashboard-agents.png")


if __name__ == "__main__":
    main()
