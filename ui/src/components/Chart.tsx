// A time-series chart (uPlot on a canvas) that follows its box's width and the light/dark theme.
// The drawing library is passed in as `make`, so tests check the data handed to it, not pixels.
import { useEffect, useRef, useState } from "preact/hooks";
import "./uplotLocale";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatCount } from "../format";
import type { Columns } from "../usage";

export type SeriesSpec = {
  label: string;
  /** A CSS custom property holding the colour, so the stylesheet decides light and dark colours. */
  colorVar: string;
  fill?: boolean;
  format?: (value: number) => string;
};

export type ChartHandle = {
  setData(data: Columns): void;
  setSize(size: { width: number; height: number }): void;
  destroy(): void;
};

export type ChartMaker = (target: HTMLElement, options: uPlot.Options, data: Columns) => ChartHandle;

const drawWithUplot: ChartMaker = (target, options, data) => new uPlot(options, data, target);

let canvasWorks: boolean | null = null;

/** uPlot on a real canvas; null where there is none (tests), and the chart box stays empty. */
export function defaultChartMaker(): ChartMaker | null {
  canvasWorks ??= document.createElement("canvas").getContext("2d") !== null;
  return canvasWorks ? drawWithUplot : null;
}

const HEIGHT = 180;

type Props = {
  id: string;
  label: string;
  columns: Columns;
  series: SeriesSpec[];
  /** How the y axis labels its ticks (counts by default). */
  yFormat?: (value: number) => string;
  make?: ChartMaker | null;
};

export function Chart({ id, label, columns, series, yFormat = formatCount, make = defaultChartMaker() }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<ChartHandle | null>(null);
  const latest = useRef(columns);
  latest.current = columns;
  const scheme = useColorScheme();
  const shape = series.map((s) => s.label).join("|");

  // Rebuilt only when the series or the theme change; new data goes through setData below.
  useEffect(() => {
    const el = box.current;
    if (!el || !make) return;
    const handle = make(el, chartOptions(el, series, yFormat, el.clientWidth || 600), latest.current);
    chart.current = handle;
    let width = el.clientWidth;
    const resized = new ResizeObserver(() => {
      if (el.clientWidth > 0 && el.clientWidth !== width) {
        width = el.clientWidth;
        handle.setSize({ width, height: HEIGHT });
      }
    });
    resized.observe(el);
    return () => {
      resized.disconnect();
      handle.destroy();
      chart.current = null;
    };
  }, [make, shape, scheme]);

  useEffect(() => {
    chart.current?.setData(columns);
  }, [columns]);

  return <div id={id} class="chart" role="img" aria-label={label} ref={box} />;
}

function chartOptions(
  el: HTMLElement,
  series: SeriesSpec[],
  yFormat: (value: number) => string,
  width: number,
): uPlot.Options {
  const css = getComputedStyle(el);
  const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const text = color("--muted", "#6b7280");
  const grid = color("--line", "#e5e7eb");
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    width,
    height: HEIGHT,
    // No drag-to-zoom: the range buttons are the one way to change what is shown.
    cursor: { drag: { x: false, y: false } },
    scales: { y: { range: (_u, _min, max) => [0, niceMax(max)] } },
    axes: [
      axis,
      {
        ...axis,
        size: 56,
        // Counts and milliseconds are whole numbers: no ticks at 0.5.
        incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8],
        values: (_u, ticks) => ticks.map((t) => yFormat(t)),
      },
    ],
    series: [
      {},
      ...series.map((s) => {
        const stroke = color(s.colorVar, "#2563eb");
        const format = s.format ?? formatCount;
        return {
          label: s.label,
          stroke,
          width: 2,
          fill: s.fill ? color(`${s.colorVar}-fill`, "transparent") : undefined,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? "–" : format(v)),
        };
      }),
    ],
  };
}

function niceMax(max: number | null): number {
  if (max === null || max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil((max * 1.1) / step) * step;
}

/** "light" or "dark", following the system setting while the window is open. */
function useColorScheme(): string {
  const [query] = useState(() =>
    typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null,
  );
  const [dark, setDark] = useState(query?.matches ?? false);
  useEffect(() => {
    if (!query) return;
    const onChange = () => setDark(query.matches);
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }, []);
  return dark ? "dark" : "light";
}
