// Package bench holds licbench's scenarios and measurements: simulated product servers
// driving a real licd through the wire client, HDR latency histograms, the in-run physical
// baselines (loopback echo, group-committed Pebble writes) and the result report.
package bench
