// The backtest report's script, inlined after the vendored Lightweight Charts: draws the
// price, equity and drawdown chart (one time axis, zoom and crosshair shared), the Monte
// Carlo charts, and makes the trades table sortable and filterable. It reads only the
// page's own JSON block and must never fetch anything nor write data as HTML.
"use strict";

(() => {
  const LWC = globalThis.LightweightCharts;
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("report-data").textContent);
  const COLORS = {
    up: "#26a269",
    down: "#c62828",
    equity: "#1f6fb4",
    balance: "#9a9a9a",
    drawdown: "#d62728",
    outer: "#9ecae1",
    inner: "#4292c6",
    median: "#08519c",
    actual: "#ff7f0e",
  };
  const BASE = {
    autoSize: true,
    layout: {
      attributionLogo: false,
      background: { type: "solid", color: "#ffffff" },
      textColor: "#333",
      fontSize: 12,
      panes: { separatorColor: "#ddd" },
    },
    grid: { vertLines: { color: "#f2f2f2" }, horzLines: { color: "#f2f2f2" } },
    crosshair: { mode: LWC.CrosshairMode.Normal },
    // No half-drawn price labels at the top and bottom edges.
    rightPriceScale: { borderColor: "#ccc", entireTextOnly: true },
  };
  const money = (v) =>
    v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  /** A drawdown as "-1.25 %", never "-0.00 %". */
  const percentLabel = (value) => `${(Math.abs(value) < 0.005 ? 0 : value).toFixed(2)} %`;
  const utc = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
  /** Handles for the browser tests: each chart by name. */
  const charts = {};
  globalThis.reportCharts = charts;

  /** Everything in view, with a margin of a few steps so the edge labels are not cut. */
  function showAll(chart, points) {
    const margin = Math.max(2, Math.round(points * 0.01));
    chart.timeScale().setVisibleLogicalRange({ from: -margin, to: points - 1 + margin });
  }

  // --- price, equity and drawdown ---------------------------------------------------

  function drawMain() {
    const element = $("chart");
    if (data.time.length === 0) {
      element.classList.add("short");
      element.textContent = "No price series and no equity curve.";
      return;
    }
    const hasCandles = data.timeframe !== null;
    if (!hasCandles) element.classList.add("short");
    const chart = LWC.createChart(element, {
      ...BASE,
      timeScale: {
        timeVisible: data.timeframe !== "D1",
        secondsVisible: !hasCandles,
        rightOffset: 2,
        borderColor: "#ccc",
      },
    });
    let pane = 0;
    let candles = null;
    if (hasCandles) {
      candles = chart.addSeries(LWC.CandlestickSeries, {
        upColor: COLORS.up,
        downColor: COLORS.down,
        borderVisible: false,
        wickUpColor: COLORS.up,
        wickDownColor: COLORS.down,
        priceFormat: { type: "price", precision: 2, minMove: 0.01 },
      }, 0);
      candles.setData(data.time.map((time, i) => ({
        time,
        open: data.open[i],
        high: data.high[i],
        low: data.low[i],
        close: data.close[i],
      })));
      LWC.createSeriesMarkers(candles, data.markers);
      pane = 1;
    }
    const line = (values) => data.time.map((time, i) => ({ time, value: values[i] }));
    const equity = chart.addSeries(LWC.LineSeries, {
      color: COLORS.equity,
      lineWidth: 2,
      priceFormat: { type: "price", precision: 2, minMove: 0.01 },
    }, pane);
    equity.setData(line(data.equity));
    const balance = chart.addSeries(LWC.LineSeries, {
      color: COLORS.balance,
      lineWidth: 1,
      lineStyle: LWC.LineStyle.Dashed,
      lastValueVisible: false,
      priceLineVisible: false,
      crosshairMarkerVisible: false,
    }, pane);
    balance.setData(line(data.balance));
    const drawdown = chart.addSeries(LWC.AreaSeries, {
      lineColor: COLORS.drawdown,
      lineWidth: 1,
      topColor: "rgba(214, 39, 40, 0.05)",
      bottomColor: "rgba(214, 39, 40, 0.35)",
      invertFilledArea: true,
      priceFormat: { type: "custom", formatter: percentLabel, minMove: 0.01 },
    }, pane + 1);
    drawdown.setData(line(data.drawdown));
    // Shares of the chart's height: price, equity, drawdown.
    const shares = hasCandles ? [3.2, 1.6, 1] : [2, 1];
    chart.panes().forEach((p, i) => p.setStretchFactor(shares[i]));
    showAll(chart, data.time.length);
    charts.main = chart;

    const byTime = new Map();
    for (const marker of data.markers) {
      const ids = byTime.get(marker.time) ?? new Set();
      ids.add(marker.id);
      byTime.set(marker.time, ids);
    }
    const legend = $("legend");
    const describe = (time) => {
      const i = data.time.indexOf(time);
      if (i < 0) return;
      const parts = [`${utc(time)} UTC${hasCandles ? ` (${data.timeframe})` : ""}`];
      if (hasCandles) {
        parts.push(
          `O ${data.open[i].toFixed(2)} H ${data.high[i].toFixed(2)} ` +
            `L ${data.low[i].toFixed(2)} C ${data.close[i].toFixed(2)}`,
        );
      }
      parts.push(`equity ${money(data.equity[i])}`, `drawdown ${data.drawdown[i].toFixed(2)} %`);
      const trades = [...(byTime.get(time) ?? [])].map((id) => data.tradeLabels[id - 1]);
      const shown = trades.slice(0, 3).join("; ");
      legend.textContent = parts.join(" · ") +
        (trades.length === 0
          ? ""
          : ` · ${shown}${trades.length > 3 ? ` (+${trades.length - 3} more)` : ""}`);
    };
    chart.subscribeCrosshairMove((param) => {
      if (param.time === undefined) legend.textContent = $("legend").dataset.hint;
      else describe(param.time);
    });
    legend.textContent = legend.dataset.hint;

    for (const button of document.querySelectorAll("[data-zoom]")) {
      button.addEventListener("click", () => {
        const days = Number(button.dataset.zoom);
        if (days === 0) return showAll(chart, data.time.length);
        const last = data.time[data.time.length - 1];
        chart.timeScale().setVisibleRange({ from: last - days * 86400, to: last });
      });
    }
  }

  // --- Monte Carlo ------------------------------------------------------------------

  function drawMonteCarlo() {
    for (const mc of data.monteCarlo) {
      const element = $(`mc-${mc.method}`);
      const chart = LWC.createOptionsChart(element, {
        ...BASE,
        localization: { precision: 0 },
        timeScale: { borderColor: "#ccc" },
      });
      const add = (values, xs, color, width) => {
        const series = chart.addSeries(LWC.LineSeries, {
          color,
          lineWidth: width,
          lastValueVisible: false,
          priceLineVisible: false,
          priceFormat: { type: "price", precision: 2, minMove: 0.01 },
        });
        series.setData(xs.map((x, i) => ({ time: x, value: values[i] })));
      };
      add(mc.p5, mc.index, COLORS.outer, 1);
      add(mc.p95, mc.index, COLORS.outer, 1);
      add(mc.p25, mc.index, COLORS.inner, 1);
      add(mc.p75, mc.index, COLORS.inner, 1);
      add(mc.p50, mc.index, COLORS.median, 2);
      add(mc.actual, mc.actual.map((_, i) => i), COLORS.actual, 2);
      showAll(chart, mc.actual.length);
      charts[`mc-${mc.method}`] = chart;
    }
  }

  // --- trades table -----------------------------------------------------------------

  function tradesTable() {
    const table = $("trade-table");
    if (table === null) return;
    const body = table.tBodies[0];
    const rows = [...body.rows];
    const count = $("trade-count");
    const text = $("trade-filter");
    const side = $("trade-side");
    const outcome = $("trade-outcome");
    const key = (row, column) => {
      const cell = row.cells[column];
      const value = cell.dataset.v ?? cell.textContent;
      const number = Number(value);
      return value !== "" && Number.isFinite(number) ? number : value;
    };
    const filter = () => {
      const needle = text.value.trim().toLowerCase();
      let shown = 0;
      for (const row of rows) {
        const visible = (needle === "" || row.textContent.toLowerCase().includes(needle)) &&
          (side.value === "" || row.dataset.side === side.value) &&
          (outcome.value === "" || row.dataset.outcome === outcome.value);
        row.hidden = !visible;
        if (visible) shown++;
      }
      count.textContent = `${shown} of ${rows.length} trades`;
    };
    for (const input of [text, side, outcome]) input.addEventListener("input", filter);
    for (const [column, th] of [...table.tHead.rows[0].cells].entries()) {
      th.addEventListener("click", () => {
        const descending = th.getAttribute("aria-sort") === "ascending";
        for (const other of table.tHead.rows[0].cells) other.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        const sign = descending ? -1 : 1;
        rows.sort((a, b) => {
          const x = key(a, column);
          const y = key(b, column);
          return sign * (x < y ? -1 : x > y ? 1 : 0);
        });
        body.append(...rows);
      });
    }
    filter();
  }

  drawMain();
  drawMonteCarlo();
  tradesTable();
})();
