// Small charts in SVG, no chart library: each is an image with a label for screen readers and a
// <title> per bar; the pages show the same figures in words or tables beside them.

/** One series of bars (e.g. declarations per day). */
export function Bars({ data, label, colour = '#0b7541' }: { data: { key: string; value: number }[]; label: string; colour?: string }) {
  return <SeriesChart label={label} keys={data.map((d) => d.key)} series={[{ name: label, colour, values: data.map((d) => d.value) }]} />;
}

export interface Series {
  name: string;
  colour: string;
  values: number[];
}

/**
 * Grouped bars: one group per key (a day), one bar per series (lodged, assessed, released). Long
 * ranges thin the axis labels to about a dozen so they stay readable on a phone.
 */
export function SeriesChart({ keys, series, label, height = 160 }: { keys: string[]; series: Series[]; label: string; height?: number }) {
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const bar = series.length > 1 ? Math.max(2, Math.min(10, Math.floor(360 / Math.max(1, keys.length * series.length)))) : Math.max(3, Math.min(20, Math.floor(600 / Math.max(1, keys.length))));
  const group = bar * series.length + 4;
  const width = Math.max(240, keys.length * group + 8);
  const plot = height - 30;
  const every = Math.max(1, Math.ceil(keys.length / 12));
  return (
    <figure style={{ margin: 0 }}>
      <svg role="img" aria-label={label} viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" style={{ width: '100%', height }}>
        <line x1={0} x2={width} y1={plot} y2={plot} stroke="#868e96" strokeWidth={0.5} />
        {keys.map((key, i) => (
          <g key={key}>
            {series.map((s, j) => {
              const v = s.values[i] ?? 0;
              const h = (v / max) * (plot - 8);
              return (
                <rect key={s.name} x={4 + i * group + j * bar} y={plot - h} width={Math.max(1, bar - 1)} height={h} fill={s.colour}>
                  <title>{`${key} · ${s.name}: ${v}`}</title>
                </rect>
              );
            })}
            {i % every === 0 && (
              <text x={4 + i * group + (bar * series.length) / 2} y={plot + 14} fontSize={9} textAnchor="middle" fill="#343a40">
                {key.slice(5)}
              </text>
            )}
          </g>
        ))}
      </svg>
      {series.length > 1 && (
        <figcaption style={{ display: 'flex', gap: 12, flexWrap: 'wrap', fontSize: 13 }}>
          {series.map((s) => (
            <span key={s.name} style={{ display: 'inline-flex', alignItems: 'center', gap: 4 }}>
              <span aria-hidden style={{ width: 10, height: 10, background: s.colour, display: 'inline-block' }} />
              {s.name}
            </span>
          ))}
        </figcaption>
      )}
    </figure>
  );
}

/**
 * Horizontal bars with the exact figure written beside each (amounts stay the API's decimal
 * strings; only the bar's length goes through a number).
 */
export function HBars({ rows, label, colour = '#1c7ed6' }: { rows: { key: string; value: number; text: string; colour?: string }[]; label: string; colour?: string }) {
  const max = Math.max(0, ...rows.map((r) => r.value));
  return (
    <div role="list" aria-label={label} style={{ display: 'grid', gap: 4 }}>
      {rows.map((r) => (
        <div role="listitem" key={r.key} style={{ display: 'grid', gridTemplateColumns: 'minmax(3.5rem, auto) 1fr', alignItems: 'center', gap: 8, fontSize: 14 }}>
          <span>{r.key}</span>
          <span style={{ display: 'flex', alignItems: 'center', gap: 6, minWidth: 0 }}>
            <span aria-hidden style={{ height: 12, width: `${max > 0 ? Math.max(1, (r.value / max) * 70) : 0}%`, background: r.colour ?? colour, borderRadius: 2 }} />
            <span className="figure" style={{ whiteSpace: 'nowrap' }}>
              {r.text}
            </span>
          </span>
        </div>
      ))}
    </div>
  );
}
