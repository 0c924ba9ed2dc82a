// The executive dashboard on the admin's index page: every `data-refresh-seconds` it
// fetches GET /api/admin/status (with the session cookie) and puts the figures into the
// elements marked with their paths (see templates/admin/dashboard/dashboard.html).
// A file, not an inline script: the Content-Security-Policy runs no inline script.
(function () {
  "use strict";

  const MARKS = "[data-text],[data-href],[data-src],[data-width],[data-attr],[data-hidden-unless],[data-empty-of]";

  function lookup(data, path) {
    return path.split(".").reduce(function (value, key) {
      return value === null || value === undefined ? undefined : value[key];
    }, data);
  }

  // The marked elements of `scope` that belong to it, not to a list row inside it.
  function own(scope, selector) {
    return Array.prototype.filter.call(scope.querySelectorAll(selector), function (element) {
      const list = element.parentElement && element.parentElement.closest("[data-list]");
      return !list || list === scope || !scope.contains(list);
    });
  }

  function mark(element, data) {
    const set = element.dataset;
    if (set.text !== undefined) {
      const text = lookup(data, set.text);
      element.textContent = text === null || text === undefined ? "—" : String(text);
    }
    if (set.href !== undefined) {
      const url = lookup(data, set.href);
      if (url) element.setAttribute("href", url);
      else element.removeAttribute("href");
    }
    if (set.src !== undefined) {
      const src = lookup(data, set.src);
      if (src && element.getAttribute("src") !== src) element.setAttribute("src", src);
    }
    if (set.width !== undefined) {
      element.style.width = (Number(lookup(data, set.width)) || 0) + "%";
    }
    if (set.attr !== undefined) {
      set.attr.split(/\s+/).forEach(function (pair) {
        const [name, path] = pair.split(":");
        element.setAttribute("data-" + name, String(lookup(data, path)));
      });
    }
    if (set.hiddenUnless !== undefined) {
      element.hidden = !lookup(data, set.hiddenUnless);
    }
    if (set.emptyOf !== undefined) {
      const items = lookup(data, set.emptyOf);
      element.hidden = Array.isArray(items) && items.length > 0;
    }
  }

  function renderList(container, items) {
    const row = container.querySelector(":scope > template");
    if (!row || !Array.isArray(items)) return;
    Array.from(container.children).forEach(function (child) {
      if (child !== row) child.remove();
    });
    items.forEach(function (item) {
      const copy = row.content.cloneNode(true);
      fill(copy, item);
      container.appendChild(copy);
    });
  }

  function fill(scope, data) {
    own(scope, "[data-list]").forEach(function (list) {
      if (list !== scope) renderList(list, lookup(data, list.dataset.list));
    });
    own(scope, MARKS).forEach(function (element) {
      mark(element, data);
    });
  }

  function start(dashboard) {
    const url = dashboard.dataset.statusUrl;
    const seconds = Math.max(Number(dashboard.dataset.refreshSeconds) || 30, 1);
    const status = dashboard.querySelector("[data-refresh-status]");
    let busy = false;

    function refresh() {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (figures) {
          fill(dashboard, figures);
          dashboard.classList.remove("vd-stale");
          if (status) status.textContent = "";
          dashboard.dispatchEvent(new CustomEvent("dashboard:refreshed", { detail: figures }));
        })
        .catch(function () {
          dashboard.classList.add("vd-stale");
          if (status) status.textContent = " (the last refresh failed; retrying)";
        })
        .finally(function () {
          busy = false;
        });
    }

    window.setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) refresh();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const dashboard = document.getElementById("vigil-dashboard");
    if (dashboard && dashboard.dataset.statusUrl) start(dashboard);
  });
})();
