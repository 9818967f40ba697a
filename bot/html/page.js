// The personal page's read beacon: tells the server once that a person sees the page.
// Fetching the page proves nothing (messengers and link checkers fetch every link);
// a page shown in a visible tab, with its script run, is a person looking at it.
(function () {
  "use strict";
  var body = document.body;
  var sent = false;

  function beacon() {
    if (sent || document.visibilityState !== "visible") return;
    sent = true;
    var form = new URLSearchParams();
    form.set("csrf", body.dataset.csrf);
    fetch("/m/" + encodeURIComponent(body.dataset.code) + "/seen", {
      method: "POST",
      body: form,
      credentials: "same-origin",
      keepalive: true
    }).catch(function () { sent = false; }); // offline: try again when shown next
  }

  document.addEventListener("visibilitychange", beacon);
  beacon();
})();
