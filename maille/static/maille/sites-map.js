/* Map of teleconsultation sites: the directory's results (redrawn after each HTMX update of the
 * results) or the single site of a detail page. Markers come from json_script data in the page. */
(function () {
  "use strict";

  var container = document.getElementById("sites-map");
  var configElement = document.getElementById("map-config");
  var labelsElement = document.getElementById("map-labels");
  if (!container || !configElement || !labelsElement || !window.L || !window.MailleMap) {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var labels = JSON.parse(labelsElement.textContent);
  var helpers = window.MailleMap;
  var map = helpers.createMap(container, config.tilesUrl, labels);
  var markers = null;

  function currentSites() {
    // The directory's results carry their own marker data; a detail page puts its site in the config.
    var data = document.getElementById("sites-map-data");
    return data ? JSON.parse(data.dataset.sites) : config.sites || [];
  }

  function draw() {
    var sites = currentSites();
    if (markers) {
      map.removeLayer(markers);
    }
    markers = helpers.siteMarkers(sites, labels).addTo(map);
    if (sites.length === 1) {
      map.setView([sites[0].lat, sites[0].lon], 13);
    } else {
      helpers.fitSites(map, sites);
    }
    container.dataset.markers = String(sites.length);
    container.dataset.state = "ready";
  }

  draw();
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "resultats") {
      draw();
    }
  });
})();
