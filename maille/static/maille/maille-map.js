/* Shared Leaflet helpers for Maille's maps (territory, directory results, site detail).
 * No base tiles unless the platform configures them: the maps work offline. */
(function () {
  "use strict";

  var integerFormat = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 0 });
  var decimalFormat = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  // France métropolitaine, for a map with nothing to fit.
  var FRANCE_CENTRE = [46.6, 2.5];

  function createMap(container, tilesUrl, labels) {
    var map = L.map(container, { zoomControl: false, zoomSnap: 0.25 });
    L.control.zoom({ zoomInTitle: labels.zoomIn, zoomOutTitle: labels.zoomOut }).addTo(map);
    if (tilesUrl) {
      L.tileLayer(tilesUrl, { maxZoom: 18, attribution: labels.tilesAttribution }).addTo(map);
    }
    map.setView(FRANCE_CENTRE, 5);
    return map;
  }

  function sitePopup(site, labels) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = site.name;
    box.appendChild(title);
    if (site.fictional) {
      var badge = document.createElement("span");
      badge.className = "fictional-badge";
      badge.textContent = labels.fictional;
      box.appendChild(document.createTextNode(" "));
      box.appendChild(badge);
    }
    if (site.commune) {
      var commune = document.createElement("div");
      commune.textContent = site.commune;
      box.appendChild(commune);
    }
    if (site.url) {
      var link = document.createElement("a");
      link.href = site.url;
      link.textContent = labels.openSite;
      box.appendChild(link);
    }
    return box;
  }

  function siteMarkers(sites, labels) {
    var group = L.featureGroup();
    sites.forEach(function (site) {
      var title = site.name + (site.commune ? " — " + site.commune : "");
      L.marker([site.lat, site.lon], { title: title, alt: title, keyboard: true })
        .bindPopup(sitePopup(site, labels))
        .addTo(group);
    });
    return group;
  }

  function fitSites(map, sites) {
    if (!sites.length) {
      return;
    }
    var bounds = L.latLngBounds(sites.map(function (site) { return [site.lat, site.lon]; }));
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 12, animate: false });
  }

  window.MailleMap = {
    createMap: createMap,
    siteMarkers: siteMarkers,
    sitePopup: sitePopup,
    fitSites: fitSites,
    formatInteger: function (value) { return integerFormat.format(value); },
    formatDecimal: function (value) { return decimalFormat.format(value); },
  };
})();
