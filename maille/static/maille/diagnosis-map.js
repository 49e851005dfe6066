/* Diagnosis map: the zone's communes coloured by the chosen layer (APL, APL with the network, travel time to
 * the nearest site, coverage gaps), the zone's sites and the sites a scenario envisages. Colours live in
 * maille.css only (read from the legend's swatches); the words come from the page ("map-labels"). A gap is
 * also hatched, so it reads without colour. Clicking a commune offers to envisage a site there, clicking a
 * site to take it away: both tick the scenario form, whose figures come back by HTMX (their data-scenario-map
 * then names the layer's new address, reloaded here). */
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
      : layer === "network" ? classColour(p.network, config.aplClasses, aplColours)
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
      labels.network + " : " + (p.network === null || p.network === undefined ? "—" : helpers.formatDecimal(p.network)),
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
  var communes = null;
  var siteLayer = L.featureGroup().addTo(map);
  var loadedUrl = null;

  function scenario() {
    // on the figures themselves (htmx drops <script> elements from swapped content)
    var element = document.getElementById("figures");
    var data = element && element.getAttribute("data-scenario-map");
    return data ? JSON.parse(data) : { geojsonUrl: null, valuesUrl: null, envisaged: [], removed: [] };
  }

  function form() {
    return document.querySelector('[data-testid="scenario-form"]');
  }

  // Tick the form as the user would, then submit it (HTMX answers with the new figures).
  function envisage(code) {
    var scenarioForm = form();
    if (!scenarioForm) {
      return;
    }
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "ajout";
    input.value = code;
    scenarioForm.appendChild(input);
    map.closePopup();
    scenarioForm.requestSubmit();
  }

  function toggleRemoved(pk, remove) {
    var scenarioForm = form();
    var box = scenarioForm && scenarioForm.querySelector('input[name="retrait"][value="' + pk + '"]');
    if (!box) {
      return;
    }
    box.checked = remove;
    map.closePopup();
    scenarioForm.requestSubmit();
  }

  function actionButton(text, testid, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "map-action secondary";
    button.textContent = text;
    button.setAttribute("data-testid", testid);
    button.addEventListener("click", onClick);
    return button;
  }

  function communePopup(p) {
    var box = summary(p);
    if (form()) {
      box.appendChild(actionButton(labels.envisageHere, "envisage-here", function () { envisage(p.code); }));
    }
    return box;
  }

  function drawSites() {
    var current = scenario();
    var removed = {};
    current.removed.forEach(function (pk) { removed[pk] = true; });
    siteLayer.clearLayers();
    config.sites.forEach(function (site) {
      var isRemoved = Boolean(removed[site.pk]);
      var title = site.name + (site.commune ? " — " + site.commune : "") + (isRemoved ? " (" + labels.removed + ")" : "");
      var options = { title: title, alt: title, keyboard: true };
      if (isRemoved) {
        options.icon = L.divIcon({ className: "removed-marker", html: "×", iconSize: [20, 20] });
      }
      var popup = helpers.sitePopup ? helpers.sitePopup(site, labels) : document.createTextNode(site.name);
      if (form()) {
        popup.appendChild(isRemoved
          ? actionButton(labels.keepSite, "keep-site", function () { toggleRemoved(site.pk, false); })
          : actionButton(labels.removeSite, "remove-site", function () { toggleRemoved(site.pk, true); }));
      }
      L.marker([site.lat, site.lon], options).bindPopup(popup).addTo(siteLayer);
    });
    current.envisaged.forEach(function (site) {
      var title = labels.envisaged + " : " + site.name;
      L.marker([site.lat, site.lon], {
        title: title, alt: title, keyboard: true,
        icon: L.divIcon({ className: "envisaged-marker", html: "+", iconSize: [22, 22] }),
      }).bindPopup(title).addTo(siteLayer);
    });
    container.dataset.envisaged = String(current.envisaged.length);
    container.dataset.removed = String(current.removed.length);
  }

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

  function applied() {
    container.dataset.state = "ready";
    var checked = document.querySelector('input[name="couche"]:checked');
    show(checked ? checked.value : "apl");
  }

  function fetchJson(url, accept) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: accept } }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  // The outlines come once (GeoJSON); a new scenario then brings each commune's values alone.
  function draw(collection) {
    communes = L.geoJSON(collection, {
      style: style,
      onEachFeature: function (feature, item) {
        item.bindTooltip(function () { return summary(feature.properties); }, { sticky: true });
        item.bindPopup(function () { return communePopup(feature.properties); });
      },
    }).addTo(map);
    var bounds = communes.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [8, 8], animate: false });
    } else {
      helpers.fitSites(map, config.sites);
    }
    container.dataset.communes = String(collection.features.length);
  }

  function recolour(values) {
    communes.eachLayer(function (item) {
      var fresh = values[item.feature.properties.code];
      if (fresh) {
        item.feature.properties = fresh;
      }
    });
  }

  function load() {
    var current = scenario();
    drawSites();
    var key = current.valuesUrl;
    if (!key || key === loadedUrl) {
      return;
    }
    loadedUrl = key;
    container.dataset.state = "loading";
    var request = communes
      ? fetchJson(current.valuesUrl, "application/json").then(function (values) {
        if (key === loadedUrl) {
          recolour(values);
        }
      })
      : fetchJson(current.geojsonUrl, "application/geo+json").then(function (collection) {
        if (!communes) {
          draw(collection);
        } else if (key === loadedUrl) { // drawn meanwhile by an earlier answer: take this one's values
          var values = {};
          collection.features.forEach(function (feature) { values[feature.properties.code] = feature.properties; });
          recolour(values);
        }
      });
    request
      .then(function () {
        if (key === loadedUrl) { // a newer scenario was asked meanwhile: its answer will finish the job
          applied();
        }
      })
      .catch(function () {
        container.dataset.state = "error";
        status.textContent = labels.failed;
        helpers.fitSites(map, config.sites);
      });
  }

  // after new content arrives (the figures come back with a new data-scenario-map; an outerHTML swap removes
  // the element the swap events fire on, so listen to htmx:load, fired on the new content); an unchanged
  // address loads nothing
  document.body.addEventListener("htmx:load", load);
  load();
})();
