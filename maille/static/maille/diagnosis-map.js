/* Diagnosis map: the zone's communes coloured by the chosen layer (APL, travel time to the nearest site,
 * coverage gaps), and the zone's sites. Colours live in maille.css only (read from the legend's swatches);
 * the words come from the page ("map-labels"). A gap is also hatched, so it reads without colour. */
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

  function swatch(selector) {
    var element = document.querySelector(selector);
    return element ? window.getComputedStyle(element).backgroundColor : "#cccccc";
  }
  var none = swatch('[data-apl-class="apl-none"]');
  var aplColours = config.aplClasses.map(function (c) { return swatch('[data-apl-class="' + c.css + '"]'); });
  var travelColours = config.travelClasses.map(function (c) { return swatch('[data-travel-class="' + c.css + '"]'); });
  var gapColour = swatch('[data-gap-class="gap-yes"]');
  var coveredColour = swatch('[data-gap-class="gap-no"]');

  function classColour(value, classes, colours) {
    if (value === null || value === undefined) {
      return none;
    }
    for (var i = 0; i < classes.length; i += 1) {
      if (classes[i].upper === null || value < classes[i].upper) {
        return colours[i];
      }
    }
    return none;
  }

  var layer = "apl";
  function style(feature) {
    var p = feature.properties;
    var fill = layer === "apl" ? classColour(p.apl, config.aplClasses, aplColours)
      : layer === "travel" ? classColour(p.travel, config.travelClasses, travelColours)
        : (p.gap ? gapColour : coveredColour);
    return {
      color: layer === "gap" && p.gap ? "#5b0000" : "#555555",
      weight: layer === "gap" && p.gap ? 1.5 : 0.5,
      dashArray: layer === "gap" && p.gap ? "4 3" : null,
      fillColor: fill,
      fillOpacity: 0.75,
    };
  }

  function summary(p) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.name + " (" + p.code + ")";
    box.appendChild(title);
    [
      labels.population + " : " + (p.population === null ? "—" : helpers.formatInteger(p.population) + " " + labels.inhabitants),
      labels.apl + " : " + (p.apl === null ? labels.noApl : helpers.formatDecimal(p.apl)),
      labels.travel + " : " + (p.travel === null ? labels.noTravel : Math.round(p.travel) + " " + labels.minutes +
        (p.nearest ? " (" + p.nearest + ")" : "")),
    ].concat(p.gap ? [labels.gap] : []).forEach(function (text) {
      var line = document.createElement("div");
      line.textContent = text;
      box.appendChild(line);
    });
    return box;
  }

  var map = helpers.createMap(container, config.tilesUrl, labels);
  helpers.siteMarkers(config.sites, labels).addTo(map);
  var communes = null;

  function show(chosen) {
    layer = chosen;
    document.querySelectorAll("[data-legend]").forEach(function (legend) {
      legend.hidden = legend.getAttribute("data-legend") !== chosen;
    });
    if (communes) {
      communes.setStyle(style);
    }
    container.dataset.layer = chosen;
    var input = document.querySelector('input[name="couche"][value="' + chosen + '"]');
    var text = input && input.parentElement ? input.parentElement.textContent.trim() : chosen;
    status.textContent = labels.layerLoaded.replace("%(layer)s", text);
  }
  document.querySelectorAll('input[name="couche"]').forEach(function (input) {
    input.addEventListener("change", function () { show(input.value); });
  });

  fetch(config.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (collection) {
      communes = L.geoJSON(collection, {
        style: style,
        onEachFeature: function (feature, item) {
          item.bindTooltip(summary(feature.properties), { sticky: true });
          item.bindPopup(summary(feature.properties));
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
      var checked = document.querySelector('input[name="couche"]:checked');
      show(checked ? checked.value : "apl");
    })
    .catch(function () {
      container.dataset.state = "error";
      status.textContent = labels.failed;
      helpers.fitSites(map, config.sites);
    });
})();
