/* Territory map: commune outlines coloured by APL, and the teleconsultation sites.
 * Data comes from the page (json_script "map-config", "map-labels") and from the GeoJSON endpoint.
 * Colours live in maille.css only: they are read from the legend's swatches. */
(function () {
  "use strict";

  var container = document.getElementById("carte");
  var configElement = document.getElementById("map-config");
  var labelsElement = document.getElementById("map-labels");
  if (!container || !configElement || !labelsElement || !window.L || !window.MailleMap) {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var labels = JSON.parse(labelsElement.textContent);
  var status = document.getElementById("map-status");
  var helpers = window.MailleMap;

  function swatchColour(cssClass) {
    var swatch = document.querySelector('[data-apl-class="' + cssClass + '"]');
    return swatch ? window.getComputedStyle(swatch).backgroundColor : "#cccccc";
  }

  var colours = {};
  config.classes.forEach(function (aplClass) {
    colours[aplClass.css] = swatchColour(aplClass.css);
  });
  var noValueColour = swatchColour("apl-none");

  function colourFor(apl) {
    if (apl === null || apl === undefined) {
      return noValueColour;
    }
    for (var i = 0; i < config.classes.length; i += 1) {
      var aplClass = config.classes[i];
      if (aplClass.upper === null || apl < aplClass.upper) {
        return colours[aplClass.css];
      }
    }
    return noValueColour;
  }

  function communeSummary(properties) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = properties.name + " (" + properties.code + ")";
    box.appendChild(title);
    var population = document.createElement("div");
    population.textContent = labels.population + " : " +
      (properties.population === null ? "—" : helpers.formatInteger(properties.population) + " " + labels.inhabitants);
    box.appendChild(population);
    var apl = document.createElement("div");
    if (properties.apl === null) {
      apl.textContent = labels.apl + " : " + labels.noApl;
    } else {
      apl.textContent = labels.apl + " : " + helpers.formatDecimal(properties.apl) +
        (properties.apl < 2.5 ? " (" + labels.sousDense + ")" : "");
    }
    box.appendChild(apl);
    return box;
  }

  var map = helpers.createMap(container, config.tilesUrl, labels);
  var siteLayer = helpers.siteMarkers(config.sites, labels).addTo(map);

  fetch(config.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (collection) {
      var communes = L.geoJSON(collection, {
        style: function (feature) {
          return {
            color: "#555555",
            weight: 0.5,
            fillColor: colourFor(feature.properties.apl),
            fillOpacity: 0.75,
          };
        },
        onEachFeature: function (feature, layer) {
          layer.bindTooltip(communeSummary(feature.properties), { sticky: true });
          layer.bindPopup(communeSummary(feature.properties));
        },
      }).addTo(map);
      var bounds = communes.getBounds();
      if (bounds.isValid()) {
        map.fitBounds(bounds, { padding: [8, 8], animate: false });
      } else {
        helpers.fitSites(map, config.sites);
      }
      container.dataset.communes = String(collection.features.length);
      container.dataset.state = "ready";
      status.textContent = labels.loaded
        .replace("%(communes)s", helpers.formatInteger(collection.features.length))
        .replace("%(sites)s", helpers.formatInteger(config.sites.length));
    })
    .catch(function () {
      container.dataset.state = "error";
      status.textContent = labels.failed;
      helpers.fitSites(map, config.sites);
    });
})();
