package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The JSON of the telemetry.* admin requests (actors/daemon.TelemetryStatus, RunReport,
// BundleContents; actors/telemetry.Result).
type uploadResult struct {
	Time       time.Time `json:"time"`
	OK         bool      `json:"ok"`
	Code       string    `json:"code"`
	Message    string    `json:"message"`
	Arg        string    `json:"arg"`
	UploadType string    `json:"uploadType"`
	Endpoint   string    `json:"endpoint"`
	Bundles    []string  `json:"bundles"`
}

type bundleInfo struct {
	Name string    `json:"name"`
	Kind string    `json:"kind"`
	Time time.Time `json:"time"`
	Size int64     `json:"size"`
}

type telemetryStatus struct {
	Plan struct {
		Choice    string   `json:"choice"`
		Programs  []string `json:"programs"`
		Automatic bool     `json:"automatic"`
		Privacy   bool     `json:"privacy"`
	} `json:"plan"`
	ChoiceSource     string        `json:"choiceSource"`
	Endpoint         string        `json:"endpoint"`
	Sends            bool          `json:"sends"`
	Why              string        `json:"why"`
	BundleDir        string        `json:"bundleDir"`
	NextRun          time.Time     `json:"nextRun"`
	LastRun          time.Time     `json:"lastRun"`
	LastSuccess      time.Time     `json:"lastSuccess"`
	LastResult       *uploadResult `json:"lastResult"`
	Bundles          []bundleInfo  `json:"bundles"`
	DaysSinceSuccess int           `json:"daysSinceSuccess"`
	Overdue          bool          `json:"overdue"`
}

var telemetryOptions = map[string]optKind{"-status": noValue, "-list": noValue, "-show": needsValue, "-upload": noValue, "-json": noValue}

// runTelemetry shows the usage data programs, lists and shows the bundles before they are
// sent, and uploads now ("Usage and statistics": "Know the status of your uploads", "Force
// data upload"). actors/telemetry/SCHEMA.md says what the bundles hold.
func runTelemetry(e *env, args []string) int {
	o, err := e.parse(telemetryOptions, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	n := 0
	for _, k := range []string{"-status", "-list", "-show", "-upload"} {
		if o.has(k) {
			n++
		}
	}
	if n > 1 || len(o.args) > 0 {
		return e.usageError(errors.New("telemetry: give one of -status, -list, -show NAME or -upload"))
	}
	switch {
	case o.has("-list"):
		var out struct {
			Dir     string       `json:"dir"`
			Bundles []bundleInfo `json:"bundles"`
		}
		if err := e.adminRequest(o, "telemetry.bundles", nil, &out); err != nil {
			return e.fail(err)
		}
		if o.has("-json") {
			return e.printJSON(out)
		}
		fmt.Fprintf(e.stdout, "Usage data bundles in %s (newest first):\n", out.Dir)
		for _, b := range out.Bundles {
			fmt.Fprintf(e.stdout, "  %-48s %-10s %9d bytes  %s\n", b.Name, b.Kind, b.Size, b.Time.Local().Format("2006-01-02 15:04:05"))
		}
		if len(out.Bundles) == 0 {
			fmt.Fprintln(e.stdout, "  none yet: the first run is about five minutes after licd starts")
		}
		return 0
	case o.has("-show"):
		var out struct {
			Name     string                     `json:"name"`
			Manifest json.RawMessage            `json:"manifest"`
			Files    map[string]json.RawMessage `json:"files"`
		}
		if err := e.adminRequest(o, "telemetry.read", map[string]string{"name": o.val("-show")}, &out); err != nil {
			return e.fail(err)
		}
		if o.has("-json") {
			return e.printJSON(out)
		}
		fmt.Fprintf(e.stdout, "== %s: manifest.json\n%s\n", out.Name, indentJSON(out.Manifest))
		names := make([]string, 0, len(out.Files))
		for k := range out.Files {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(e.stdout, "== %s: %s\n%s\n", out.Name, k, indentJSON(out.Files[k]))
		}
		return 0
	case o.has("-upload"):
		var out struct {
			Written []string      `json:"written"`
			Sent    bool          `json:"sent"`
			Result  *uploadResult `json:"result"`
		}
		if err := e.adminRequest(o, "telemetry.upload", nil, &out); err != nil {
			return e.fail(err)
		}
		if o.has("-json") {
			return e.printJSON(out)
		}
		fmt.Fprintf(e.stdout, "Bundles written: %s\n", strings.Join(out.Written, ", "))
		if out.Result != nil {
			fmt.Fprintf(e.stdout, "Upload: %s\n", resultLine(out.Result))
		}
		if !out.Sent {
			return 1
		}
		return 0
	}
	var st telemetryStatus
	if err := e.adminRequest(o, "telemetry.status", nil, &st); err != nil {
		return e.fail(err)
	}
	if o.has("-json") {
		return e.printJSON(st)
	}
	writeTelemetryStatus(e, &st)
	return 0
}

func writeTelemetryStatus(e *env, st *telemetryStatus) {
	w := e.stdout
	programs := "none"
	if len(st.Plan.Programs) > 0 {
		programs = strings.Join(st.Plan.Programs, ", ")
	}
	privacy := "On (names scrambled)"
	if !st.Plan.Privacy {
		privacy = "Off (Call Home carries names as stored)"
	}
	fmt.Fprintf(w, "Data-sharing choice: %s (from the %s)\n", st.Plan.Choice, st.ChoiceSource)
	fmt.Fprintf(w, "Programs that run: %s\n", programs)
	fmt.Fprintf(w, "PrivacySetting: %s\n", privacy)
	fmt.Fprintf(w, "What leaves the machine: %s\n", st.Why)
	fmt.Fprintf(w, "Bundles: %d in %s (lmutil telemetry -list, -show NAME)\n", len(st.Bundles), st.BundleDir)
	if !st.NextRun.IsZero() {
		fmt.Fprintf(w, "Next run: %s\n", st.NextRun.Local().Format("2006-01-02 15:04:05"))
	}
	last := "never"
	if !st.LastSuccess.IsZero() {
		last = st.LastSuccess.Local().Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(w, "Last successful upload: %s\n", last)
	if st.LastResult != nil {
		fmt.Fprintf(w, "Last upload result: %s\n", resultLine(st.LastResult))
	}
	if st.Overdue {
		fmt.Fprintf(w, "WARNING: %d days without a successful upload: the compliance rule allows at most 90\n", st.DaysSinceSuccess)
	}
}

func resultLine(r *uploadResult) string {
	at := r.Time.Local().Format("2006-01-02 15:04:05")
	if r.OK {
		return fmt.Sprintf("%s at %s (%s, %d bundles to %s)", r.Code, at, r.UploadType, len(r.Bundles), r.Endpoint)
	}
	s := fmt.Sprintf("%s at %s (%s)", r.Code, at, r.UploadType)
	if r.Message != "" {
		s += ": " + r.Message
	}
	return s
}

func indentJSON(b []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") != nil {
		return string(b)
	}
	return buf.String()
}

func (e *env) printJSON(v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintln(e.stdout, string(b))
	return 0
}

var supportbundleOptions = map[string]optKind{"-o": needsValue}

// runSupportbundle makes a support bundle on the server ("Support Bundle": "Generate and
// Download") and downloads it in pieces: `lmutil supportbundle [-o file.zip]`.
func runSupportbundle(e *env, args []string) int {
	o, err := e.parse(supportbundleOptions, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	if len(o.args) > 0 {
		return e.usageError(errors.New("supportbundle: the only option is -o FILE"))
	}
	var info struct {
		Name   string `json:"name"`
		Path   string `json:"path"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
		Took   string `json:"took"`
	}
	if err := e.adminRequest(o, "supportbundle", nil, &info); err != nil {
		return e.fail(err)
	}
	out := o.val("-o")
	if out == "" {
		out = info.Name
	}
	tmp := out + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return e.fail(fmt.Errorf("supportbundle: %w", err))
	}
	h := sha256.New()
	var off int64
	for {
		var c struct {
			Data []byte `json:"data"`
			EOF  bool   `json:"eof"`
		}
		if err := e.adminRequest(o, "supportbundle.chunk", map[string]any{"name": info.Name, "offset": off}, &c); err != nil {
			f.Close()
			_ = os.Remove(tmp)
			return e.fail(err)
		}
		if _, err := f.Write(c.Data); err != nil {
			f.Close()
			_ = os.Remove(tmp)
			return e.fail(fmt.Errorf("supportbundle: write %s: %w", out, err))
		}
		h.Write(c.Data)
		off += int64(len(c.Data))
		if c.EOF || len(c.Data) == 0 {
			break
		}
	}
	if err := f.Close(); err != nil {
		return e.fail(fmt.Errorf("supportbundle: %w", err))
	}
	if sum := hex.EncodeToString(h.Sum(nil)); off != info.Size || sum != info.SHA256 {
		_ = os.Remove(tmp)
		return e.fail(fmt.Errorf("supportbundle: the download is damaged (%d of %d bytes, sha256 %s, want %s): run it again", off, info.Size, sum, info.SHA256))
	}
	if err := os.Rename(tmp, out); err != nil {
		return e.fail(fmt.Errorf("supportbundle: %w", err))
	}
	abs, _ := filepath.Abs(out)
	fmt.Fprintf(e.stdout, "Support bundle written to %s (%d bytes, sha256 %s; made in %s, a copy is on the server at %s)\n", abs, info.Size, info.SHA256, info.Took, info.Path)
	return 0
}
