// Package history is licd's historical usage ("Historical Use", "Export historical usage
// data"): what a sample of the pools holds, how pools are numbered for storage, how samples
// are filtered, turned into chart series and into the daily CSV export, and the retention
// rules. It is plain deterministic Go: no clock (times are passed in), no I/O beyond the
// io.Writer it is given. The daemon samples every pool, stores the samples through the
// storage package and calls this package to answer queries.
package history
