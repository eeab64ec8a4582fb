/**
 * The registry's Prometheus metrics (text exposition format 0.0.4): requests by route, method and
 * status, their latency, bytes in and out, uploads, GC runs, and process memory. Counters are per
 * process, as Prometheus expects of each scraped instance.
 */

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${v}`);
    return lines;
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (value <= LATENCY_BUCKETS[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      LATENCY_BUCKETS.forEach((b, i) => lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

function gauge(name: string, help: string, value: number): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`];
}

export class RegistryMetrics {
  readonly requests = new Counter('berth_registry_http_requests_total', 'HTTP requests answered, by route, method and status code.');
  readonly latency = new Histogram('berth_registry_http_request_duration_seconds', 'Time from request to the end of the response, by route.');
  readonly bytesIn = new Counter('berth_registry_http_received_bytes_total', 'Bytes received in request bodies.');
  readonly bytesOut = new Counter('berth_registry_http_sent_bytes_total', 'Bytes sent (response bodies and headers).');
  readonly uploads = new Counter('berth_registry_uploads_total', 'Blob uploads by outcome: started, completed, failed, cancelled, mounted.');
  readonly gcRuns = new Counter('berth_registry_gc_runs_total', 'Garbage collections run by this process.');
  readonly gcRemoved = new Counter('berth_registry_gc_removed_blobs_total', 'Blobs removed by garbage collection.');
  readonly gcFreed = new Counter('berth_registry_gc_freed_bytes_total', 'Bytes freed by garbage collection.');
  inFlight = 0;
  private readonly started = Date.now() / 1000;

  render(): string {
    const counters = [this.requests, this.bytesIn, this.bytesOut, this.uploads, this.gcRuns, this.gcRemoved, this.gcFreed];
    const lines = [
      ...counters.flatMap((c) => c.render()),
      ...this.latency.render(),
      ...gauge('berth_registry_http_requests_in_flight', 'Requests being answered now.', this.inFlight),
      ...gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', process.memoryUsage.rss()),
      ...gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch in seconds.', this.started),
    ];
    return lines.join('\n') + '\n';
  }
}
