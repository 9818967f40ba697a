// The offers report: fetches /admin/api/offers/report and draws it with textContent only.
(function () {
  "use strict";
  var COLUMNS = ["sent", "delivered", "read", "clicked", "switched", "opted_out", "orders", "revenue"];
  var form = document.getElementById("period");
  var table = document.getElementById("report");
  var errorBox = document.getElementById("error");

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text === undefined || text === null ? "" : String(text);
    row.appendChild(td);
  }

  function draw(report) {
    var body = table.tBodies[0];
    body.replaceChildren();
    report.rows.forEach(function (r) {
      var tr = document.createElement("tr");
      cell(tr, r.title + " (#" + r.offer_id + ")");
      cell(tr, r.channel);
      COLUMNS.forEach(function (c) { cell(tr, r[c]); });
      body.appendChild(tr);
    });
    var foot = table.tFoot;
    foot.replaceChildren();
    var total = document.createElement("tr");
    cell(total, "Итого");
    cell(total, "");
    COLUMNS.forEach(function (c) { cell(total, report.totals[c]); });
    foot.appendChild(total);
    table.hidden = false;
  }

  var reasonsTable = document.getElementById("reasons");
  var reasonsTitle = document.getElementById("reasons-title");
  var STATES = { scheduled: "ждёт", failed: "не дошло", switched: "переключено" };
  // Reason keys as the API gives them (bot/delivery_states.py), in words.
  var REASONS = {
    no_channel: "нет настроенного канала", not_linked: "мессенджер не привязан",
    opted_out: "отписался", blocked: "заблокировал бота", not_subscribed: "не подписан в Viber",
    ignored: "не читает ни в одном канале", quiet_hours: "ночь у покупателя",
    out_of_stock: "нет в наличии", viber_hourly_limit: "лимит Viber в час",
    rate_limited: "ограничение скорости", unreachable: "сервис недоступен",
    reminder: "напоминание", rejected: "отклонено сервисом", delivery_failed: "не доставлено",
    bad_template: "ошибка в шаблоне", unread: "не прочитано подряд"
  };

  function drawReasons(reasons) {
    var body = reasonsTable.tBodies[0];
    body.replaceChildren();
    reasons.forEach(function (r) {
      var tr = document.createElement("tr");
      cell(tr, r.title + " (#" + r.offer_id + ")");
      cell(tr, STATES[r.state] || r.state);
      cell(tr, (REASONS[r.reason] || r.reason) + " (" + r.reason + ")");
      cell(tr, r.count);
      body.appendChild(tr);
    });
    reasonsTable.hidden = reasonsTitle.hidden = reasons.length === 0;
  }

  function load() {
    var params = new URLSearchParams();
    var from = form.elements.from.value;
    var to = form.elements.to.value;
    if (from) params.set("from", from + "T00:00:00");
    if (to) params.set("to", to + "T23:59:59");
    fetch("/admin/api/offers/report?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (data) { return [r, data]; }); })
      .then(function (pair) {
        // The server's message is English: the page says it in Russian and logs the code.
        if (!pair[0].ok) throw new Error(pair[1].error ? pair[1].error.code : "error");
        errorBox.hidden = true;
        draw(pair[1]);
        drawReasons(pair[1].reasons || []);
      })
      .catch(function (e) {
        console.warn("[admin] offers report", e.message);
        errorBox.textContent = "Не удалось загрузить отчёт — попробуйте ещё раз";
        errorBox.hidden = false;
      });
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); load(); });
  load();
})();
