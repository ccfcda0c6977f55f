// Small progressive enhancement: deadlines count down without a reload. Every action works
// without this file.
(function () {
  var lang = document.documentElement.lang === "en" ? "en" : "id";
  var words = {
    id: { m: " mnt", h: " jam", d: " hari", left: "sisa ", late: "terlambat " },
    en: { m: " min", h: " h", d: " days", left: "due in ", late: "overdue by " },
  }[lang];
  function span(ms) {
    var m = Math.floor(Math.abs(ms) / 60000);
    if (m < 120) return m + words.m;
    if (m < 2880) return Math.floor(m / 60) + words.h;
    return Math.floor(m / 1440) + words.d;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("datetime")) - now;
      el.textContent = left >= 0 ? words.left + span(left) : words.late + span(left);
    });
  }
  setInterval(tick, 30000);
})();
