/* Countdown of a held slot: minutes and seconds left, then "expired" and the confirm button disabled.
 * The server decides: an expired hold is refused whatever this page shows. */
(function () {
  "use strict";

  var countdown = document.querySelector("[data-hold-expires]");
  if (!countdown) {
    return;
  }
  var expires = new Date(countdown.dataset.holdExpires).getTime();
  var confirmButton = document.querySelector("[data-hold-confirm]");

  function pad(number) {
    return number < 10 ? "0" + number : String(number);
  }

  function tick() {
    var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
    if (left === 0) {
      countdown.textContent = countdown.dataset.expiredText;
      countdown.dataset.state = "expired";
      if (confirmButton) {
        confirmButton.disabled = true;
      }
      return;
    }
    countdown.textContent = countdown.dataset.leftText
      .replace("%(minutes)s", String(Math.floor(left / 60)))
      .replace("%(seconds)s", pad(left % 60));
    countdown.dataset.state = "running";
    window.setTimeout(tick, 1000);
  }

  tick();
})();
