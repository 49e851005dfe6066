/* The maturity dashboard's map: each site a disc coloured by its maturity level (0 to 4), its popup naming
 * the level and the score. Data from json_script in the page; no base tiles unless configured. */
(function () {
  "use strict";

  var container = document.getElementById("maturity-map");
  var sitesElement = document.getElementById("maturity-sites");
  var labelsElement = document.getElementById("map-labels");
  if (!container || !sitesElement || !labelsElement || !window.L || !window.MailleMap) {
    return;
  }
  // The same colours as the legend's swatches (maille.css, .maturity-N).
  var COLOURS = ["#8a8a8a", "#c62828", "#ef6c00", "#7cb342", "#1b5e20"];
  var sites = JSON.parse(sitesElement.textContent);
  var labels = JSON.parse(labelsElement.textContent);
  var helpers = window.MailleMap;
  var configElement = document.getElementById("map-config");
  var config = configElement ? JSON.parse(configElement.textContent) : {};
  var map = helpers.createMap(container, config.tilesUrl || null, labels);
  var group = L.featureGroup();
  sites.forEach(function (site) {
    var popup = helpers.sitePopup(site, labels);
    var level = document.createElement("div");
    level.textContent = site.level + " — " + site.levelLabel + (site.score === null ? "" : " (" + helpers.formatDecimal(site.score).replace(/,00$/, "") + " %)");
    popup.insertBefore(level, popup.lastChild);
    L.circleMarker([site.lat, site.lon], {
      radius: 7, weight: 1, color: "#222", fillColor: COLOURS[site.level], fillOpacity: 0.9,
    }).bindPopup(popup).bindTooltip(site.name + " — " + site.levelLabel).addTo(group);
  });
  group.addTo(map);
  helpers.fitSites(map, sites);
  container.dataset.markers = String(sites.length);
  container.dataset.state = "ready";
})();
