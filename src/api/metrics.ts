// Prometheus metrics of the ingestion API, in the text exposition format: counters by labels and latency
// histograms, with no dependency.

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

export class Metrics {
  private counters = new Map<string, { help: string; values: Map<string, number> }>();
  private histograms = new Map<string, { help: string; series: Map<string, { buckets: number[]; sum: number; count: number }> }>();
  private gauges = new Map<string, { help: string; read: () => number }>();

  inc(name: string, help: string, labels: Record<string, string> = {}, by = 1): void {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = { help, values: new Map() }));
    const key = labelText(labels);
    c.values.set(key, (c.values.get(key) ?? 0) + by);
  }

  observe(name: string, help: string, seconds: number, labels: Record<string, string> = {}): void {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = { help, series: new Map() }));
    const key = labelText(labels);
    let s = h.series.get(key);
    if (!s) h.series.set(key, (s = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => { if (seconds <= b) s!.buckets[i]!++; });
    s.sum += seconds;
    s.count++;
  }

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read });
  }

  render(): string {
    const out: string[] = [];
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const [labels, v] of c.values) out.push(`${name}${labels} ${v}`);
    }
    for (const [name, h] of this.histograms) {
      out.push(`# HELP ${name} ${h.help}`, `# TYPE ${name} histogram`);
      for (const [labels, s] of h.series) {
        const inner = labels ? labels.slice(1, -1) + ',' : '';
        BUCKETS.forEach((b, i) => out.push(`${name}_bucket{${inner}le="${b}"} ${s.buckets[i]}`));
        out.push(`${name}_bucket{${inner}le="+Inf"} ${s.count}`, `${name}_sum${labels} ${s.sum}`, `${name}_count${labels} ${s.count}`);
      }
    }
    for (const [name, g] of this.gauges) out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.read()}`);
    return `${out.join('\n')}\n`;
  }
}
