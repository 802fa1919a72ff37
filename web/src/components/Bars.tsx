// A small bar chart in SVG: labelled for screen readers, with the figures in a table beside it.
export function Bars({ data, label, colour = '#0b7541' }: { data: { key: string; value: number }[]; label: string; colour?: string }) {
  const max = Math.max(1, ...data.map((d) => d.value));
  const width = Math.max(240, data.length * 28);
  return (
    <svg role="img" aria-label={label} viewBox={`0 0 ${width} 130`} style={{ width: '100%', maxWidth: width, height: 130 }}>
      {data.map((d, i) => {
        const h = (d.value / max) * 100;
        return (
          <g key={d.key}>
            <rect x={i * 28 + 4} y={110 - h} width={20} height={h} fill={colour}>
              <title>{`${d.key}: ${d.value}`}</title>
            </rect>
            <text x={i * 28 + 14} y={124} fontSize={8} textAnchor="middle">
              {d.key.slice(-5)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
