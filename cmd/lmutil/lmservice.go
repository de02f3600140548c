package main

import (
	"errors"
	"fmt"
	"time"
)

// serviceState is the answer of the service.* admin requests (actors/daemon.ServiceState).
type serviceState struct {
	Enabled bool      `json:"enabled"`
	Default bool      `json:"default"`
	Changed time.Time `json:"changed"`
}

// runLmservice is `ctx_license_management_service.exe (-enable | -disable | -query)`
// ("Using the command line to enable or disable the License Management Service"); the
// switch is kept in the server's settings.
func runLmservice(e *env, args []string) int {
	own := map[string]optKind{"-enable": noValue, "-disable": noValue, "-query": noValue}
	o, err := e.parse(own, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	var op string
	n := 0
	for _, k := range []string{"-enable", "-disable", "-query"} {
		if o.has(k) {
			op, n = "service."+k[1:], n+1
		}
	}
	if n != 1 || len(o.args) > 0 {
		return e.usageError(errors.New("lmservice: give one of -enable, -disable or -query"))
	}
	var st serviceState
	if err := e.adminRequest(o, op, nil, &st); err != nil {
		return e.fail(err)
	}
	switch op {
	case "service.enable":
		// "-enable enables electronic reporting of basic licensing data."
		fmt.Fprintln(e.stdout, "License Management Service enabled: basic licensing data is reported electronically.")
	case "service.disable":
		// "If you disable electronic license reporting, you agree to manual reporting."
		fmt.Fprintln(e.stdout, "License Management Service disabled: you agree to report licensing data manually.")
	default:
		state := "disabled (manual reporting)"
		if st.Enabled {
			state = "enabled (electronic reporting of basic licensing data)"
		}
		fmt.Fprintf(e.stdout, "License Management Service: %s\n", state)
		if st.Default {
			fmt.Fprintln(e.stdout, "  as installed: never switched")
		} else if !st.Changed.IsZero() {
			fmt.Fprintf(e.stdout, "  switched on %s\n", st.Changed.Local().Format("2006-01-02 15:04"))
		}
		// What the switch means for the data collection programs, and the last upload.
		var ts telemetryStatus
		if err := e.adminRequest(o, "telemetry.status", nil, &ts); err == nil {
			writeTelemetryStatus(e, &ts)
		}
	}
	return 0
}
