// Tell the server the browser's time zone, so the admin shows times in it from the
// next page on (the tz cookie; see core/viewer_time_zone.py). No reload: the page may
// be the answer to a POST.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || document.cookie.split("; ").indexOf("tz=" + zone) !== -1) return;
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
})();
