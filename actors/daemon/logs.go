package daemon

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/licd/licd/actors"
	"github.com/licd/licd/license"
)

// logFiles is where the vendor debug log and the report log went at start. The options
// file's DEBUGLOG and REPORTLOG are applied at start, as the vendor daemon reads them when
// it opens its logs; a change is reported by lmreread as taking effect at the next start.
type logFiles struct {
	debug, report             string // paths ("" : none, or a writer from Config)
	debugAppend, reportAppend bool
}

// DebugLogPath is the vendor debug log's file ("" when Config.DebugLog gave a writer).
func (d *Daemon) DebugLogPath() string { return d.logs.debug }

// openLogs opens the vendor debug log and the report log ("Configure the Vendor Daemon log
// (CITRIX.log) from being overwritten": DEBUGLOG +path appends, DEBUGLOG path starts the
// file anew at every start; REPORTLOG the same). Without DEBUGLOG the log is
// DataDir/CITRIX.log, appended to. A path that cannot be opened is a warning and the
// default is used: a bad options line never keeps the server from starting.
func (d *Daemon) openLogs() error {
	opts, err := license.LoadOptionsFile(d.cfg.optionsFile())
	if err != nil {
		opts = nil // Reread reports it
	}
	debugOut := d.cfg.DebugLog
	if debugOut == nil {
		def := filepath.Join(d.cfg.DataDir, "CITRIX.log")
		path, add := def, true
		if opts != nil && opts.DebugLog != "" {
			path, add = d.optionsPath(opts.DebugLog), opts.DebugLogAppend
		}
		f, err := openLog(path, add)
		if err != nil && path != def {
			d.log.Warn("DEBUGLOG file cannot be opened; the vendor debug log goes to "+def, zap.String("file", path), zap.Error(err))
			path, add = def, true
			f, err = openLog(path, add)
		}
		if err != nil {
			return fmt.Errorf("open the vendor debug log: %w", err)
		}
		debugOut = f
		d.logs.debug, d.logs.debugAppend = path, add
	}
	var reportOut io.Writer
	if opts != nil && opts.ReportLog != "" {
		path := d.optionsPath(opts.ReportLog)
		f, err := openLog(path, opts.ReportLogAppend)
		if err != nil {
			d.log.Warn("REPORTLOG file cannot be opened; no report log is written", zap.String("file", path), zap.Error(err))
		} else {
			reportOut = f
			d.logs.report, d.logs.reportAppend = path, opts.ReportLogAppend
		}
	}
	d.debug = actors.NewDebugLogs(debugOut, reportOut, "CITRIX")
	return nil
}

// optionsPath resolves a log path written in the options file: a relative one is in the
// data directory (beside CITRIX.log; not in the license directory, whose every change
// would trigger a reread).
func (d *Daemon) optionsPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(d.cfg.DataDir, p)
}

// openLog opens a log file 0600 (it names users and devices): appended to, or started anew.
func openLog(path string, add bool) (*os.File, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if !add {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// logChanges lists what an options file asks of the logs that differs from what is in
// force: DEBUGLOG and REPORTLOG apply at the next start.
func (d *Daemon) logChanges(opts *license.Options) []string {
	var out []string
	if d.cfg.DebugLog == nil {
		want, add := filepath.Join(d.cfg.DataDir, "CITRIX.log"), true
		if opts.DebugLog != "" {
			want, add = d.optionsPath(opts.DebugLog), opts.DebugLogAppend
		}
		if want != d.logs.debug || add != d.logs.debugAppend {
			out = append(out, fmt.Sprintf("warning: DEBUGLOG %s takes effect at the next start; the vendor debug log is %s until then", want, d.logs.debug))
		}
	}
	want, add := "", false
	if opts.ReportLog != "" {
		want, add = d.optionsPath(opts.ReportLog), opts.ReportLogAppend
	}
	if want != d.logs.report || (want != "" && add != d.logs.reportAppend) {
		now := d.logs.report
		if now == "" {
			now = "not written"
		}
		out = append(out, fmt.Sprintf("warning: REPORTLOG %s takes effect at the next start; the report log is %s until then", want, now))
	}
	return out
}
