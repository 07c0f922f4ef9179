/* Tablewright: an htmx request the page cannot swap in (400, 404, 500, a lost connection) still tells the user
 * what happened, in the #request-error alert at the top of the page, with the server's own message. */
(function () {
  "use strict";
  function box() { return document.getElementById("request-error"); }
  function say(text) {
    var b = box();
    if (!b) return;
    b.querySelector("[data-error-text]").textContent = text;
    b.hidden = false;
  }
  function messageOf(xhr) {
    var body = (xhr && xhr.responseText) || "";
    var type = (xhr && xhr.getResponseHeader("Content-Type")) || "";
    if (type.indexOf("json") >= 0) {
      try {
        var data = JSON.parse(body);
        var text = data.error || data.message || data.detail;
        if (text) return String(text);
      } catch (e) { /* fall through to the text of the answer */ }
    }
    if (type.indexOf("html") >= 0) {
      var doc = new DOMParser().parseFromString(body, "text/html");
      body = (doc.querySelector("main") || doc.body || doc.documentElement).textContent || "";
    }
    body = body.replace(/\s+/g, " ").trim();
    return body.length > 300 ? body.slice(0, 300) + "…" : body;
  }
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr, text = messageOf(xhr);
    say("That did not work (" + xhr.status + (xhr.statusText ? " " + xhr.statusText : "") + ")" + (text ? ": " + text : "."));
  });
  document.addEventListener("htmx:sendError", function () {
    say("The server could not be reached; nothing was changed. Check the connection and try again.");
  });
  document.addEventListener("htmx:beforeRequest", function () { var b = box(); if (b) b.hidden = true; });
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-error-dismiss]")) box().hidden = true;
  });
})();
