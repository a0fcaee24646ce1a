/**
 * Latency, throughput and leader changes over virtual time, drawn with uPlot (small, fast,
 * canvas-based). The charts are built once and fed new columns as the run grows. A chart with
 * nothing to plot (no client operations, no leader role) is not shown.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';
import { COLORS } from '../canvas.js';

type Columns = uPlot.AlignedData;

export interface ChartSpec {
  readonly title: string;
  readonly testId: string;
  readonly data: Columns;
  readonly series: readonly uPlot.Series[];
  readonly yLabel: string;
}

export function Charts(props: {
  readonly latency: [number[], number[]];
  readonly throughput: [number[], number[], number[]];
  readonly leaders: [number[], number[]];
  readonly hasLeaders: boolean;
}) {
  const anyOps = props.throughput[1].some((y) => y > 0) || props.throughput[2].some((y) => y > 0);
  return (
    <div class="charts">
      {props.latency[0].length > 0 && (
        <Chart
          title="Latency of successful operations"
          testId="chart-latency"
          yLabel="ms"
          data={props.latency}
          series={[
            {},
            {
              label: 'latency (ms)',
              stroke: COLORS.prefix,
              width: 0,
              points: { show: true, size: 3, fill: COLORS.prefix },
              paths: () => null,
            },
          ]}
        />
      )}
      {anyOps && (
        <Chart
          title="Throughput"
          testId="chart-throughput"
          yLabel="ops/s"
          data={props.throughput}
          series={[
            {},
            { label: 'ok/s', stroke: COLORS.ok, width: 1.5, fill: 'rgba(47,158,91,0.15)' },
            { label: 'failed or unknown/s', stroke: COLORS.unknown, width: 1.5 },
          ]}
        />
      )}
      {props.hasLeaders && (
        <Chart
          title="Leader changes"
          testId="chart-leaders"
          yLabel="count"
          data={props.leaders}
          series={[
            {},
            {
              label: 'new leaders',
              stroke: COLORS.leader,
              width: 2,
              paths: uPlot.paths.stepped?.({ align: 1 }),
            },
          ]}
        />
      )}
    </div>
  );
}

export function Chart(props: ChartSpec) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const width = Math.max(240, el.clientWidth);
    plot.current = new uPlot(
      {
        width,
        height: 170,
        series: props.series as uPlot.Series[],
        scales: { x: { time: false } },
        axes: [
          { label: 'virtual ms', size: 36 },
          { label: props.yLabel, size: 50 },
        ],
        legend: { show: true, live: false },
        cursor: { drag: { x: true, y: false } },
      },
      props.data,
      el,
    );
    const observer = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(240, el.clientWidth), height: 170 }),
    );
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);

  return (
    <figure class="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
