import Hummingbird
import Config
import Lifecycle
import SessionKit
import Support
import View

/// The dashboard: a page, its style sheet and its script, embedded in the binary (no CDN, no
/// build step). The script is a file, not inline, so the page's Content-Security-Policy allows
/// no inline script and no `javascript:` URL. It loads the view from `/api/v1/sessions`, then
/// follows `/api/v1/events`.
enum Dashboard {
    /// Scripts and styles only from this server, requests only to it, no frames, forms or
    /// plugins; `frame-ancestors 'none'`: no page may frame it.
    static let policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The page with the first view's data in it (a JSON data block, never executed), so the
    /// script draws it at once instead of showing "Loading…" until a fetch returns.
    static func response(initial: String? = nil) -> Response {
        guard let initial else { return file(page, type: "text/html; charset=utf-8") }
        // Inside <script>, only "<" could end the block early: JSON allows it escaped.
        let data = initial.replacingOccurrences(of: "<", with: "\\u003c")
        let html = page.replacingOccurrences(of: "<script src=\"/dashboard.js\"></script>",
                                             with: "<script type=\"application/json\" id=\"initial\">\(data)</script>\n<script src=\"/dashboard.js\"></script>")
        return file(html, type: "text/html; charset=utf-8")
    }

    static func file(_ text: String, type: String) -> Response {
        Response(status: .ok,
                 headers: [.contentType: type, .cacheControl: "no-cache", .contentSecurityPolicy: policy],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static let page = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ppds — sessions</title>
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<header><h1>ppds</h1><span id="repo" class="meta"></span><span id="live" class="idle" role="status"></span></header>
<main id="view" aria-live="polite"><p class="empty">Loading…</p></main>
<div id="toast" role="status" aria-live="assertive"></div>
<script src="/dashboard.js"></script>
</body>
</html>
"""#

    static let styleSheet = #"""
  :root { --bg:#f7f7f8; --card:#fff; --ink:#1d1d1f; --muted:#6b6b73; --line:#e3e3e8; --stuck:#fff4d6; --stuck-line:#e0a800;
          --ok:#0a7d32; --bad:#b3261e; --focus:#1a5fd0; }
  @media (prefers-color-scheme: dark) { :root { --bg:#161618; --card:#212124; --ink:#eeeef0; --muted:#a0a0a8; --line:#36363b;
          --stuck:#3a3010; --stuck-line:#e0a800; } }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; align-items:baseline; gap:1rem; padding:1rem 1.5rem; border-bottom:1px solid var(--line); }
  header h1 { font-size:1.2rem; margin:0; }
  #live { color:var(--muted); font-size:.85rem; }
  #live.on::before { content:"● "; color:var(--ok); }
  #live.off::before { content:"● "; color:var(--bad); }
  main { max-width:1100px; margin:0 auto; padding:1rem 1.5rem 3rem; }
  section { margin:1.25rem 0; }
  h2 { font-size:1rem; margin:0 0 .5rem; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.7rem .9rem; margin:.45rem 0;
          display:grid; grid-template-columns: 1fr auto; gap:.3rem 1rem; align-items:start; }
  .card.stuck { background:var(--stuck); border-color:var(--stuck-line); border-width:2px; }
  .title { font-weight:600; }
  .meta { color:var(--muted); font-size:.85rem; }
  .reason { font-weight:600; }
  .actions { display:flex; gap:.4rem; flex-wrap:wrap; justify-content:flex-end; }
  .guide { grid-column: 1 / -1; display:flex; gap:.4rem; flex-wrap:wrap; align-items:center; }
  .guide input { flex:1 1 16rem; min-width:10rem; padding:.4rem .5rem; border:1px solid var(--line); border-radius:6px;
                 background:var(--card); color:var(--ink); font:inherit; }
  button { font:inherit; padding:.35rem .7rem; border-radius:6px; border:1px solid var(--line); background:var(--card);
           color:var(--ink); cursor:pointer; }
  button.option { border-color:var(--stuck-line); }
  button:focus-visible, input:focus-visible, a:focus-visible { outline:3px solid var(--focus); outline-offset:2px; }
  a { color:var(--focus); }
  .problems li { margin:.2rem 0; }
  .kind { font-family: ui-monospace, monospace; font-size:.85rem; }
  #toast { position:fixed; bottom:1rem; right:1rem; background:var(--ink); color:var(--bg); padding:.5rem .8rem; border-radius:6px;
           opacity:0; transition:opacity .2s; }
  #toast.show { opacity:.92; }
  .empty { color:var(--muted); }
  /* Group marks are drawn, not emoji: they read the same without an emoji font. */
  .mark { display:inline-block; width:.7em; height:.7em; border-radius:50%; margin-right:.4em; background:var(--muted); vertical-align:baseline; }
  .mark.stuck { background:#e0a800; } .mark.planReady { background:#7a5af5; } .mark.prReady { background:#0a7d32; }
  .mark.working { background:#2fb344; } .mark.planning { background:#1a5fd0; } .mark.starting { background:#6fa8ff; }
  .mark.paused { background:#8d8d95; border-radius:2px; } .mark.complete { background:#5c9e6d; } .mark.cancelled { background:#d0d0d6; }
  .mark.readyToPrune { background:#0a7d32; border-radius:2px; } .mark.problems { background:#b3261e; border-radius:2px; }
  #live.idle { color:var(--muted); }
  .plan { grid-column: 1 / -1; border-left:3px solid #7a5af5; padding:.2rem 0 .2rem .7rem; }
  .plan pre { white-space:pre-wrap; overflow-wrap:anywhere; max-height:24rem; overflow:auto; margin:.3rem 0 0; font:13px/1.4 ui-monospace, monospace; }
  button.approve { border-color:#0a7d32; } button.revise { border-color:#e0a800; }
"""#

    /// What the page may do with a session in each status, keyed by the file's spelling (and
    /// `"*"` for a status ppds does not know): made from `SessionStatus`, the one table, so the
    /// script holds no list of statuses of its own.
    static var statusTable: String {
        var rows: [String: JSONValue] = [:]
        for known in SessionStatus.Known.allCases { rows[known.rawValue] = row(known.status) }
        for (alias, status) in SessionStatus.aliases { rows[alias] = row(status) }
        rows["*"] = row(.other("*"))
        return JSONWriter.write(.object(rows), pretty: false)
    }

    static func row(_ status: SessionStatus) -> JSONValue {
        .object(["active": .bool(status.isActive), "paused": .bool(status == .paused), "stuck": .bool(status == .stuck),
                 "planReady": .bool(status == .planningComplete),
                 "finished": .bool(status.isTerminal), "guide": .bool(offersGuidance(status))])
    }

    /// Whether a card offers a guidance box: while a worker is at it (a registered session has
    /// none started yet; a paused or finished one reads nothing).
    static func offersGuidance(_ status: SessionStatus) -> Bool {
        switch status {
        case .planning, .planningComplete, .working, .stuck, .other: true
        case .registered, .paused, .complete, .cancelled: false
        }
    }

    static let script = #"""
"use strict";
// The token is in an HttpOnly cookie (set when the URL 'ppds serve' printed was opened); this
// script never sees it, and every request here is same-origin, so the cookie goes along.
const headers = {"Content-Type": "application/json"};
// The groups, their order and names come from the server (StatusGroup, the CLI's own), and
// each session says its group: the page never decides grouping for itself.
const state = { sessions: new Map(), problems: new Map(), groups: [] };
// What each status allows, from the server's table (SessionStatus); "*" is any other status.
const statuses = \#(statusTable);
function status(s) { return statuses[s.status] || statuses["*"]; }
function mark(key) { return el("span", {class: "mark " + key, "aria-hidden": "true"}); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "onclick") node.addEventListener("click", v); else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}
// Every field is someone else's text: only http: and https: URLs become links, the rest
// stays text (a javascript: or data: URL never reaches an href).
function webURL(text) {
  if (typeof text !== "string") return null;
  try { const url = new URL(text); return url.protocol === "http:" || url.protocol === "https:" ? url.href : null; }
  catch (e) { return null; }
}
function ago(iso) {
  if (!iso) return "";
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return Math.floor(s) + " s"; if (s < 3600) return Math.floor(s / 60) + " min";
  if (s < 86400) return Math.floor(s / 3600) + " h"; return Math.floor(s / 86400) + " d";
}
function toast(text) {
  const t = document.getElementById("toast"); t.textContent = text; t.classList.add("show");
  clearTimeout(toast.timer); toast.timer = setTimeout(() => t.classList.remove("show"), 2500);
}
async function post(issue, action, body) {
  const number = issue.replace("#", "");
  const response = await fetch(`/api/v1/sessions/${number}/${action}`, { method: "POST", headers, body: JSON.stringify(body || {}) });
  const doc = await response.json().catch(() => ({}));
  if (!response.ok) { toast((doc.error && doc.error.message) || ("HTTP " + response.status)); return false; }
  // The reply is the session as changed: no "answer" in it means it has none now.
  if (doc.session) { const merged = Object.assign({}, state.sessions.get(doc.session.issue) || {}, doc.session); if (!("answer" in doc.session)) delete merged.answer; upsert(merged); render(); }
  return true;
}
// The agent ppds started, as the server read /proc (the CLI's words, AgentText).
function agentText(s) {
  const a = s.agentLiveness, record = s.agentProcess;
  if (!a || a.state === "none") return null;
  const name = "Agent" + (record && typeof record.name === "string" && record.name ? " " + record.name : "") + ": ";
  const activity = {busy: "busy", idle: "idle", waitingForInput: "waiting for input"}[a.activity] || "";
  const how = a.signal != null ? ` (killed by signal ${a.signal})` : a.exitCode != null ? ` (exit code ${a.exitCode})` : "";
  switch (a.state) {
    case "running": return name + `running (pid ${a.pid}, for ${ago(a.since)}, ${activity})`;
    case "exited": return name + `exited ${ago(a.at)} ago` + how;
    case "gone": return name + "ended without a trace" + (a.pid != null ? ` (pid ${a.pid} is gone)` : "");
    case "elsewhere": return name + `on ${a.machine} as of the last update (${ago(a.asOf)} ago)`;
    default: return null;
  }
}
function card(s) {
  const id = s.issue.replace("#", "");
  const title = el("div", {}, el("span", {class: "title"}, `${s.issue} ${s.title || ""}`), " ",
                   el("span", {class: "meta"}, s.branch));
  const meta = [];
  const st = status(s);
  if (st.stuck && s.stuck) meta.push(el("div", {}, el("span", {class: "reason"}, `“${s.stuck.reason}”`),
                                                 el("span", {class: "meta"}, ` waiting ${ago(s.stuck.since)}`)));
  if (s.stuck && s.stuck.context) meta.push(el("div", {class: "meta"}, "Context: " + s.stuck.context));
  if (s.answer) meta.push(el("div", {class: "meta answer", "data-answer": s.answer.state},
                             `answered ${ago(s.answer.answeredAt)} ago, ` + (s.answer.state === "read" ? `read ${ago(s.answer.readAt)} ago` : "not yet read")));
  const merged = s.git && s.git.merged && s.git.hasOwnCommits !== false;
  if (s.pr) meta.push(el("div", {}, webURL(s.pr) ? el("a", {href: webURL(s.pr), rel: "noopener noreferrer", target: "_blank"}, String(s.pr))
                                                : el("span", {class: "pr-text"}, String(s.pr)),
                         merged ? el("span", {class: "meta"}, " merged") : null));
  if (s.pullRequest && s.pullRequest.summary) meta.push(el("div", {class: "meta pr-state", "data-ci": String(s.pullRequest.ci)},
                                                          String(s.pullRequest.summary) + ` (checked ${ago(s.pullRequest.fetchedAt)} ago)`));
  // Ahead/behind says how far work in progress is from its base: not for merged or finished work.
  const finished = st.finished || merged;
  meta.push(el("div", {class: "meta"}, `${s.status} · started ${ago(s.started)} ago · updated ${ago(s.lastUpdate)} ago` +
                 (!finished && s.git && s.git.ahead != null ? ` · ${s.git.ahead} ahead, ${s.git.behind} behind` : "")));
  if (s.worktree) meta.push(el("div", {class: "meta path"}, String(s.worktree)));
  const agent = agentText(s);
  if (agent) meta.push(el("div", {class: "meta agent", "data-agent": String(s.agentLiveness.state)}, agent));
  if (s.ports && Number.isInteger(s.ports.first) && Number.isInteger(s.ports.count))
    meta.push(el("div", {class: "meta ports"}, `Ports ${s.ports.first}–${s.ports.first + s.ports.count - 1} (PPDS_PORT=${s.ports.first})`));
  // Only guidance given since the session reached its present state answers it.
  const since = Date.parse((st.stuck && s.stuck && s.stuck.since) || s.lastUpdate || 0);
  const last = s.guidance && s.guidance.length ? s.guidance[s.guidance.length - 1] : null;
  // Guidance from another machine says who sent it, and whether it reaches the worker.
  const origin = last && s.guidanceFrom ? s.guidanceFrom[last.id] : null;
  if (last && Date.parse(last.at) >= since) meta.push(el("div", {class: "meta"}, "Last guidance: " + last.message +
                                                        (origin && origin.described ? " (from " + origin.described + ")" : "")));
  const actions = el("div", {class: "actions"});
  if (st.active) actions.append(el("button", {type: "button", "data-action": "pause", "aria-label": `Pause ${s.issue}`, onclick: () => post(s.issue, "pause")}, "Pause"));
  if (st.paused) actions.append(el("button", {type: "button", "data-action": "resume", "aria-label": `Resume ${s.issue}`, onclick: () => post(s.issue, "resume")}, "Resume"));
  const node = el("article", {class: "card" + (st.stuck ? " stuck" : ""), "data-issue": s.issue}, el("div", {}, title, meta), actions);
  // The plan is the worker's text: appended as text (el() never parses HTML), in a <pre>.
  const plan = Array.isArray(s.plans) && s.plans.length ? s.plans[s.plans.length - 1] : null;
  const reviewable = st.planReady && plan && typeof plan.text === "string" && !(plan.answers && plan.answers.length);
  if (plan && (reviewable || st.planReady)) {
    node.append(el("div", {class: "plan", "data-plan-version": String(plan.version)},
      el("div", {class: "meta"}, `Plan v${plan.version} · attached ${ago(plan.at)} ago` + (s.plans.length > 1 ? ` · ${s.plans.length} versions ('ppds plan ${id} --history')` : "")),
      el("pre", {class: "plan-text"}, String(plan.text))));
  }
  if (st.guide) {
    const input = el("input", {type: "text", id: "guide-" + id, placeholder: "Guidance for " + s.issue, "aria-label": "Guidance for " + s.issue});
    const send = async text => { if (text.trim() && await post(s.issue, "guidance", {message: text})) { toast("Sent to " + s.issue); input.value = ""; } };
    input.addEventListener("keydown", e => { if (e.key === "Enter") send(input.value); });
    const options = ((s.stuck && s.stuck.options) || []).map(option =>
      el("button", {type: "button", class: "option", "data-option": option, onclick: () => send(option)}, option));
    // Approve and Request changes answer the version shown: the server refuses it once a newer one came.
    const review = reviewable ? [
      el("button", {type: "button", class: "approve", "data-action": "approve", "aria-label": `Approve plan v${plan.version} of ${s.issue}`,
                    onclick: async () => { if (await post(s.issue, "approve", {version: plan.version, message: input.value.trim() || null})) { toast("Plan approved: " + s.issue); input.value = ""; } }}, "Approve"),
      el("button", {type: "button", class: "revise", "data-action": "revise", "aria-label": `Request changes to plan v${plan.version} of ${s.issue}`,
                    onclick: async () => {
                      if (!input.value.trim()) { toast("Type the changes you want in the field first"); input.focus(); return; }
                      if (await post(s.issue, "revise", {version: plan.version, message: input.value})) { toast("Plan sent back: " + s.issue); input.value = ""; }
                    }}, "Request changes")] : [];
    if (reviewable) input.setAttribute("placeholder", "Changes wanted, or words with the approval, for " + s.issue);
    node.append(el("div", {class: "guide"}, options, input, el("button", {type: "button", "data-action": "send", onclick: () => send(input.value)}, "Send"), review));
  }
  return node;
}
function render() {
  const view = document.getElementById("view");
  // The view is rebuilt on each event; keep the keyboard where it was (a field by id, a button
  // by its session and action or option).
  const active = document.activeElement;
  const focused = active && active.id;
  const typed = focused ? active.value : null;
  const holder = active && active.closest && active.closest("article[data-issue]");
  const buttonKey = holder && active.tagName === "BUTTON"
    ? `article[data-issue="${holder.dataset.issue}"] button` + (active.dataset.option !== undefined
        ? `[data-option="${CSS.escape(active.dataset.option)}"]` : `[data-action="${active.dataset.action}"]`)
    : null;
  view.replaceChildren();
  const sessions = [...state.sessions.values()].sort((a, b) => parseInt(a.issue.slice(1)) - parseInt(b.issue.slice(1)));
  const groups = state.groups.length ? state.groups : [{name: "other", title: "Sessions"}];
  for (const group of groups) {
    const members = sessions.filter(s => (s.group || "other") === group.name);
    // PRs waiting for a human: approved and green first, then waiting for review, then failing.
    if (group.name === "prReady") members.sort((a, b) => (a.reviewRank ?? 3) - (b.reviewRank ?? 3));
    if (!members.length) continue;
    view.append(el("section", {"data-group": group.name}, el("h2", {}, mark(group.name), `${group.title}: ${members.length} session${members.length === 1 ? "" : "s"}`), members.map(card)));
  }
  if (!sessions.length) view.append(el("p", {class: "empty"}, "No sessions."));
  // Merged and finished is good news, shown apart from what needs fixing (as the CLI does).
  const all = [...state.problems.values()];
  // The one diagnosis's groups and names (a server before them sent only kind).
  const ready = all.filter(p => (p.group || (p.kind === "mergedReadyToPrune" ? "readyToPrune" : "problems")) === "readyToPrune");
  const problems = all.filter(p => !ready.includes(p));
  if (ready.length) {
    view.append(el("section", {"data-group": "readyToPrune"}, el("h2", {}, mark("readyToPrune"), `Ready to prune: ${ready.length}`),
      el("ul", {class: "problems"}, ready.map(p => el("li", {}, p.issue ? p.issue + " " : "", p.message))),
      el("p", {class: "meta"}, "'ppds prune --dry-run' shows what would be removed; 'ppds prune' moves it to the trash ('ppds restore' undoes it).")));
  }
  if (problems.length) {
    view.append(el("section", {"data-group": "problems"}, el("h2", {}, mark("problems"), `Problems: ${problems.length}`),
      el("ul", {class: "problems"}, problems.map(p => el("li", {}, p.issue ? p.issue + " " : "", el("span", {class: "kind"}, p.name || p.kind), ": " + p.message)))));
  }
  if (focused && document.getElementById(focused)) { const f = document.getElementById(focused); if (typed !== null && "value" in f) f.value = typed; f.focus(); }
  else if (buttonKey && document.querySelector(buttonKey)) document.querySelector(buttonKey).focus();
}
function upsert(s) { state.sessions.set(s.issue, s); }
function problemKey(p) { return JSON.stringify(p); }
function snapshot(doc) {
  state.sessions.clear(); state.problems.clear();
  for (const s of doc.sessions || []) upsert(s);
  for (const p of doc.problems || []) state.problems.set(problemKey(p), p);
  if (Array.isArray(doc.groups)) state.groups = doc.groups;
  render();
}
async function load() {
  const response = await fetch("/api/v1/sessions", { headers });
  if (response.ok) snapshot(await response.json());
}
function connect() {
  const source = new EventSource("/api/v1/events");
  const live = document.getElementById("live");
  source.onopen = () => { live.className = "on"; live.textContent = "live"; };
  source.onerror = () => { live.className = "off"; live.textContent = "reconnecting…"; };
  source.addEventListener("snapshot", e => snapshot(JSON.parse(e.data)));
  source.addEventListener("session", e => {
    const event = JSON.parse(e.data);
    if (event.change === "removed") state.sessions.delete(event.issue); else upsert(event.session);
    render();
  });
  source.addEventListener("problem", e => {
    const event = JSON.parse(e.data);
    if (event.change === "removed") state.problems.delete(problemKey(event.problem)); else state.problems.set(problemKey(event.problem), event.problem);
    render();
  });
}
// The first view came with the page: drawn now, then kept live by the event stream.
const initial = document.getElementById("initial");
if (initial) { try { snapshot(JSON.parse(initial.textContent)); } catch (e) { initial.remove(); } }
(initial ? Promise.resolve() : load()).then(connect);
setInterval(render, 30000);
"""#
}
