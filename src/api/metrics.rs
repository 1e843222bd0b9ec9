//! Prometheus metrics, kept by hand (a few counters and one histogram need no framework): requests
//! by route and status, request latency, database pool use and outbox messages by status.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// Point-in-time figures read when /metrics is scraped.
#[derive(Debug, Default)]
pub struct Gauges {
    pub pool_in_use: u32,
    pub pool_idle: u32,
    pub queries: u64,
    pub outbox: Vec<(String, i64)>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let h = inner.latency.entry(route.to_string()).or_default();
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    pub fn render(&self, gauges: &Gauges) -> String {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str(
            "# HELP coprod_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE coprod_http_requests_total counter\n");
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "coprod_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                label(method),
                label(route)
            );
        }
        out.push_str(
            "# HELP coprod_http_request_duration_seconds Time to answer HTTP requests, by route.\n",
        );
        out.push_str("# TYPE coprod_http_request_duration_seconds histogram\n");
        for (route, h) in &inner.latency {
            let route = label(route);
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "coprod_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "coprod_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "coprod_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "coprod_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP coprod_db_pool_connections Database pool connections by state.\n");
        out.push_str("# TYPE coprod_db_pool_connections gauge\n");
        let _ = writeln!(
            out,
            "coprod_db_pool_connections{{state=\"in_use\"}} {}",
            gauges.pool_in_use
        );
        let _ = writeln!(
            out,
            "coprod_db_pool_connections{{state=\"idle\"}} {}",
            gauges.pool_idle
        );
        out.push_str("# HELP coprod_db_queries_total Database statements run.\n");
        out.push_str("# TYPE coprod_db_queries_total counter\n");
        let _ = writeln!(out, "coprod_db_queries_total {}", gauges.queries);
        out.push_str("# HELP coprod_outbox_messages Messages in the mail outbox by status.\n");
        out.push_str("# TYPE coprod_outbox_messages gauge\n");
        for status in ["pending", "sending", "sent", "failed"] {
            let n = gauges
                .outbox
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            let _ = writeln!(out, "coprod_outbox_messages{{status=\"{status}\"}} {n}");
        }
        out
    }
}

/// Escapes a label value as the exposition format asks.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.observe("GET", "/health", 200, Duration::from_millis(3));
        m.observe("GET", "/health", 200, Duration::from_millis(30));
        let text = m.render(&Gauges {
            pool_in_use: 1,
            pool_idle: 3,
            queries: 7,
            outbox: vec![("pending".into(), 2)],
        });
        assert!(text.contains(
            "coprod_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "coprod_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "coprod_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains("coprod_db_pool_connections{state=\"in_use\"} 1"));
        assert!(text.contains("coprod_outbox_messages{status=\"pending\"} 2"));
        assert!(text.contains("coprod_outbox_messages{status=\"failed\"} 0"));
    }
}
