#!/usr/bin/env python3
"""The dashboard against hostile data and a hostile page, in headless Chromium (selenium).

Usage: hostile_test.py PPDS_BINARY

- Every field the page shows holds HTML or a script: a title, a stuck reason, its context and
  options, guidance, a `javascript:` and a `data:` PR (written into the session file, as any
  tool may), an unknown `plan` key. Nothing may run, and only http(s) PRs become links.
- The page's Content-Security-Policy runs no inline script and no `javascript:` URL, even one
  put into the page.
- The token: the printed URL is traded for an HttpOnly, SameSite=Strict cookie and leaves the
  address bar.
- A page on another origin (another port of 127.0.0.1: the same site, so the cookie goes along)
  cannot frame the dashboard, read the API or post guidance.
"""
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from ppds_browser import chrome, environment, serve, wait_for
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

PPDS = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="ppds-hostile-")
REPO = os.path.join(TMP, "shop")
HOME = os.path.join(TMP, "home")
ENV = environment(HOME)


def run(*args, cwd=REPO):
    return subprocess.run(args, cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout


def ppds(*args):
    return run(PPDS, *args)


def session_file(issue):
    return os.path.join(HOME, "sessions", f"work-{issue}.json")


def session(issue):
    with open(session_file(issue)) as f:
        return json.load(f)




def payload(name):
    return f"<img src=x onerror=\"window.__pwned='{name}'\"><script>window.__pwned='{name}-script'</script>"


def assert_nothing_ran(driver, when):
    pwned = driver.execute_script("return window.__pwned === undefined ? null : String(window.__pwned);")
    assert pwned is None, f"{when}: hostile code ran ({pwned})"
    try:
        text = driver.switch_to.alert.text
        raise AssertionError(f"{when}: an alert opened: {text}")
    except NoAlertPresentException:
        pass


def main():
    os.makedirs(REPO)
    run("git", "init", "-q", "-b", "main")
    with open(os.path.join(REPO, "README.md"), "w") as f:
        f.write("# shop\n")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "init")
    ppds("start-work", "201", "--offline", "--no-hooks", "--title=" + payload("title"))
    ppds("start-work", "202", "203", "204", "--offline", "--no-hooks")
    ppds("update", "201", "--status", "stuck", "--reason", payload("reason"), "--context", payload("context"),
         "--option", payload("option"), "--option", "plain")
    ppds("guide", "201", payload("guidance"))
    for issue in (202, 203, 204):
        ppds("ship", str(issue), "--pr", f"https://example.com/o/shop/pull/{issue}", "--force")
    # Any tool may write a session file: a PR that is a script, another that is a document.
    for issue, pr in [(202, "javascript:window.__pwned='pr';alert(document.domain)"),
                      (203, "data:text/html,<script>alert(1)</script>")]:
        data = session(issue)
        data["pr"] = pr
        data["plan"] = payload("plan")
        with open(session_file(issue), "w") as f:
            json.dump(data, f, indent=2)

    server, url, dashboard = serve(PPDS, REPO, ENV)
    driver = None
    attacker = None
    try:
        port = url.rsplit(":", 1)[1]
        with open(os.path.join(HOME, "serve-token")) as f:
            token = f.read().strip()
        assert dashboard == f"{url}/?token={token}", (dashboard, token)

        # Every response forbids framing; the page's policy has no inline script.
        request = urllib.request.Request(url + "/", headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(request) as reply:
            policy = reply.headers["Content-Security-Policy"]
            assert reply.headers["X-Frame-Options"] == "DENY", reply.headers
            assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy, policy
            assert "<script>" not in reply.read().decode()

        driver = chrome("1280,900")

        # Without the token: nothing.
        driver.get(url + "/")
        assert "unauthorized" in driver.page_source, driver.page_source[:300]

        driver.get(dashboard)
        wait_for(lambda: driver.current_url == url + "/", "the redirect that drops the token")
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "article[data-issue='#201'] [data-option]"), "the hostile session")
        wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "article[data-issue='#204'] a"), "the PR link")
        cookies = driver.get_cookies()
        assert [(c["name"], c["value"], c["httpOnly"], c.get("sameSite")) for c in cookies] == \
            [(f"ppds_token_{port}", token, True, "Strict")], cookies
        assert driver.execute_script("return document.cookie;") == "", "the cookie is readable by scripts"
        time.sleep(1)
        assert_nothing_ran(driver, "rendering")

        card = driver.find_element(By.CSS_SELECTOR, "article[data-issue='#201']").text
        for name in ["title", "reason", "context", "option", "guidance"]:
            assert f"window.__pwned='{name}'" in card, f"the {name} is not shown as text: {card}"
        links = driver.execute_script("return [...document.querySelectorAll('[href]')].map(a => a.getAttribute('href'));")
        assert links == ["/dashboard.css", "https://example.com/o/shop/pull/204"], links
        for issue in (202, 203):
            text = driver.find_element(By.CSS_SELECTOR, f"article[data-issue='#{issue}'] .pr-text")
            assert text.text == session(issue)["pr"], text.text
            text.click()
            time.sleep(0.3)
            assert_nothing_ran(driver, f"clicking #{issue}'s PR")
        assert driver.current_url == url + "/"

        # The policy itself: an inline script or a javascript: URL put into the page does not run.
        driver.execute_script("""
            const s = document.createElement('script'); s.textContent = "window.__pwned = 'inline script'"; document.body.append(s);
            const a = document.createElement('a'); a.href = "javascript:window.__pwned = 'javascript: URL'"; a.id = 'evil';
            a.textContent = 'x'; document.body.append(a);""")
        driver.find_element(By.ID, "evil").click()
        time.sleep(0.5)
        assert_nothing_ran(driver, "the policy")

        # A page on another origin of the same site (another port of 127.0.0.1), with the
        # dashboard's cookie in the same browser.
        page = f"""<!doctype html><title>attacker</title>
<iframe id="frame" name="frame" src="{url}/" width="800" height="400"></iframe>
<script>
window.results = {{}};
fetch("{url}/api/v1/sessions", {{credentials: "include"}}).then(r => r.text()).then(t => results.read = t, e => results.read = "blocked");
fetch("{url}/api/v1/sessions/201/guidance", {{method: "POST", credentials: "include", mode: "no-cors",
  headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify({{message: "from another origin (no-cors)"}})}})
  .then(() => results.simple = "sent", () => results.simple = "blocked");
fetch("{url}/api/v1/sessions/201/guidance", {{method: "POST", credentials: "include",
  headers: {{"Content-Type": "application/json"}}, body: JSON.stringify({{message: "from another origin (cors)"}})}})
  .then(r => results.cors = r.status, () => results.cors = "blocked");
</script>"""
        folder = os.path.join(TMP, "attacker")
        os.makedirs(folder)
        with open(os.path.join(folder, "index.html"), "w") as f:
            f.write(page)

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=folder, **kwargs)

            def log_message(self, *args):
                pass

        attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
        threading.Thread(target=attacker.serve_forever, daemon=True).start()
        before = session(201)["guidance"]
        driver.get(f"http://127.0.0.1:{attacker.server_address[1]}/index.html")
        wait_for(lambda: driver.execute_script("const r = window.results; return r && 'read' in r && 'simple' in r && 'cors' in r;"),
                 "the attacker's requests")
        results = driver.execute_script("return window.results;")
        assert results["read"] == "blocked", results
        assert results["cors"] == "blocked", results
        time.sleep(0.5)
        assert session(201)["guidance"] == before, session(201)["guidance"]
        driver.switch_to.frame("frame")
        framed = driver.find_elements(By.ID, "view")
        framed_text = driver.find_element(By.TAG_NAME, "body").text if driver.find_elements(By.TAG_NAME, "body") else ""
        driver.switch_to.default_content()
        assert not framed and "#201" not in framed_text, f"the dashboard loaded in another origin's frame: {framed_text[:200]}"
        print("hostile test: passed")
    finally:
        if attacker:
            attacker.shutdown()
        if driver:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
