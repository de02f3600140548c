package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/licd/licd/wire"
)

var udadminOptions = map[string]optKind{
	"-list": noValue, "-times": noValue, "-a": noValue, "-f": needsValue, "-user": needsValue,
	"-device": needsValue, "-delete": noValue, "-events": noValue, "-json": noValue,
}

// runUdadmin is "Display or release licenses for users or devices (udadmin)", served by the
// server's udadmin admin request. "No argument or ?" displays the usage.
func runUdadmin(e *env, args []string) int {
	if len(args) == 0 || (len(args) == 1 && args[0] == "?") {
		return e.printHelp()
	}
	o, err := e.parse(udadminOptions, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	ops := 0
	for _, k := range []string{"-list", "-delete", "-events"} {
		if o.has(k) {
			ops++
		}
	}
	if (o.has("-times") || o.has("-a")) && ops == 0 {
		ops, o.set["-list"] = 1, true // "-list -times", "-list -a": either alone lists too
	}
	if ops != 1 || len(o.args) > 0 {
		return e.usageError(fmt.Errorf("udadmin: give one of -list, -delete or -events; udadmin -help shows how"))
	}
	req := wire.UDAdminArgs{Op: "list", Feature: o.val("-f"), User: o.val("-user"), Device: o.val("-device")}
	switch {
	case o.has("-delete"):
		// "Releases the license for one user, feature, or device at a time."
		// "-user user name: Releases the license for only the user specified": without -f,
		// the user's (or device's) license of every user/device feature that has one.
		if (req.User == "") == (req.Device == "") {
			return e.usageError(fmt.Errorf("udadmin: -delete releases one user or one device: udadmin -user NAME -delete, or -device NAME -delete (with -f FEATURE for one feature only)"))
		}
		req.Op = "delete"
	case o.has("-events"):
		req.Op = "events"
	}
	timeout, err := timeoutOption(o)
	if err != nil {
		return e.usageError(err)
	}
	targets, err := e.targets(o)
	if err != nil {
		return e.fail(err)
	}
	token, err := e.adminToken(o, targets)
	if err != nil {
		return e.fail(err)
	}
	if req.Op == "delete" && req.Feature == "" {
		return e.deleteEverywhere(targets[0], token, req, timeout)
	}
	res, err := udadminCall(targets[0], token, req, timeout)
	if err != nil {
		return e.fail(err)
	}
	narrowToParty(res, req)
	switch req.Op {
	case "delete":
		return e.writeReleased(req, res)
	case "events":
		writeUDEvents(e.stdout, res)
		return 0
	}
	if o.has("-json") {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return e.fail(err)
		}
		fmt.Fprintln(e.stdout, string(b))
		return 0
	}
	writeUDList(e.stdout, res, o.has("-a"), o.has("-times"))
	return 0
}

// deleteEverywhere is -user NAME -delete (or -device) without -f: the features where the
// user (device) is licensed are listed, then each of their licenses released.
func (e *env) deleteEverywhere(t target, token string, req wire.UDAdminArgs, timeout time.Duration) int {
	list := req
	list.Op = "list"
	res, err := udadminCall(t, token, list, timeout)
	if err != nil {
		return e.fail(err)
	}
	narrowToParty(res, req)
	name := req.User + req.Device
	released := 0
	for _, f := range res.Features {
		held := false
		for _, l := range append(f.Users, f.Devices...) {
			held = held || l.Name == name
		}
		if !held {
			continue
		}
		one := req
		one.Feature = f.Feature
		r, err := udadminCall(t, token, one, timeout)
		if err != nil {
			return e.fail(err)
		}
		if r.Released > 0 {
			if code := e.writeReleased(one, r); code != 0 {
				return code
			}
			released++
		}
	}
	if released == 0 {
		kind := "user"
		if req.Device != "" {
			kind = "device"
		}
		return e.fail(&wire.Error{Code: wire.CodeBadRequest, Detail: fmt.Sprintf("%s %s holds no user/device license (as of the last optimization); udadmin -list lists the licensed users and devices", kind, name)})
	}
	return 0
}

func udadminCall(t target, token string, req wire.UDAdminArgs, timeout time.Duration) (*wire.UDAdminResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := dial(ctx, t, timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res := new(wire.UDAdminResult)
	if err := c.admin(token, "udadmin", req, res); err != nil {
		return nil, err
	}
	return res, nil
}

// narrowToParty keeps only the named user's (or device's) licenses when -user (or -device)
// names one: -list -user NAME is about that user, not about the devices as well.
func narrowToParty(res *wire.UDAdminResult, req wire.UDAdminArgs) {
	for i := range res.Features {
		f := &res.Features[i]
		if req.User != "" && req.Device == "" {
			f.Devices = nil
		}
		if req.Device != "" && req.User == "" {
			f.Users = nil
		}
	}
}

func (e *env) writeReleased(req wire.UDAdminArgs, res *wire.UDAdminResult) int {
	kind, name := "user", req.User
	if req.Device != "" {
		kind, name = "device", req.Device
	}
	if res.Released == 0 {
		return e.fail(&wire.Error{Code: wire.CodeBadRequest, Detail: fmt.Sprintf("%s %s holds no license of %s; udadmin -list -f %s lists the licensed users and devices", kind, name, req.Feature, req.Feature)})
	}
	fmt.Fprintf(e.stdout, "Released the %s license of %s for %s.\n", kind, name, req.Feature)
	return 0
}

// usageAge is the head of udadmin -list ("Usage data is 0 minutes old. Next update in 15
// minutes."): the age of the oldest optimization and the time to the next one, in whole
// minutes (status is "as of the last optimization", "Optimization might delay status
// information").
func usageAge(now time.Time, fs []wire.UDFeature) (old, next int) {
	next = -1
	for _, f := range fs {
		if !f.LastOptimization.IsZero() {
			old = max(old, int(now.Sub(f.LastOptimization)/time.Minute))
		}
		if !f.NextOptimization.IsZero() {
			m := max(int(math.Ceil(f.NextOptimization.Sub(now).Minutes())), 0)
			if next < 0 || m < next {
				next = m
			}
		}
	}
	return old, max(next, 0)
}

// udEntry is one licensed user or device of one feature.
type udEntry struct {
	name, feature, version string
	since                  time.Time
}

// writeUDList prints -list as the manual's example does: the users, then the devices,
// "u01.01 XDT_ENT_UD 2017.1201 (Thu Sep 14 13:41:07 2017)" with -times. With -a each
// feature comes with its version and counts.
func writeUDList(w io.Writer, res *wire.UDAdminResult, all, times bool) {
	if len(res.Features) == 0 {
		fmt.Fprintln(w, "No user/device licenses are installed on this license server.")
		return
	}
	old, next := usageAge(res.Now, res.Features)
	fmt.Fprintf(w, "Usage data is %d minutes old. Next update in %d minutes.\n\n", old, next)
	if !all {
		var users, devices []udEntry
		for _, f := range res.Features {
			users = append(users, entries(f, f.Users)...)
			devices = append(devices, entries(f, f.Devices)...)
		}
		writeUDEntries(w, "Users", users, times)
		writeUDEntries(w, "Devices", devices, times)
		return
	}
	features := append([]wire.UDFeature(nil), res.Features...)
	sort.Slice(features, func(i, j int) bool { return features[i].Feature < features[j].Feature })
	for _, f := range features {
		fmt.Fprintf(w, "Feature %s %s (%s): %d purchased + %d overdraft = %d installed; %d in use, %d of the overdraft\n",
			f.Feature, f.Version, f.Model, f.Purchased, f.Overdraft, f.Installed, f.InUse, f.OverdraftInUse)
		fmt.Fprintf(w, "Released by udadmin: %d users, %d devices\n\n", f.UsersReleased, f.DevicesReleased)
		writeUDEntries(w, "Users", entries(f, f.Users), times)
		writeUDEntries(w, "Devices", entries(f, f.Devices), times)
	}
}

func entries(f wire.UDFeature, ls []wire.UDLicense) []udEntry {
	out := make([]udEntry, 0, len(ls))
	for _, l := range ls {
		out = append(out, udEntry{name: l.Name, feature: f.Feature, version: f.Version, since: l.Since})
	}
	return out
}

func writeUDEntries(w io.Writer, title string, es []udEntry, times bool) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].name != es[j].name {
			return es[i].name < es[j].name
		}
		return es[i].feature < es[j].feature
	})
	fmt.Fprintf(w, "%s:\n\n", title)
	for _, x := range es {
		line := x.name + " " + x.feature + " " + x.version
		if times {
			line += " (" + ctime(x.since) + ")"
		}
		fmt.Fprintf(w, "%s\n\n", line)
	}
}

// writeUDEvents is -events: "all events logged by the user/device licensing for each
// feature sorted in chronological order".
func writeUDEvents(w io.Writer, res *wire.UDAdminResult) {
	byFeature := map[string][]wire.UDEvent{}
	var names []string
	for _, ev := range res.Events {
		if _, ok := byFeature[ev.Feature]; !ok {
			names = append(names, ev.Feature)
		}
		byFeature[ev.Feature] = append(byFeature[ev.Feature], ev)
	}
	if len(names) == 0 {
		fmt.Fprintln(w, "No user/device events.")
		return
	}
	sort.Strings(names)
	for _, n := range names {
		evs := byFeature[n]
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
		fmt.Fprintf(w, "Events of %s:\n\n", n)
		for _, ev := range evs {
			fmt.Fprintf(w, "%s %s %s\n", ctime(ev.Time), ev.Kind, eventDetail(ev))
		}
		fmt.Fprintln(w)
	}
}

// eventDetail is an event's text without the time and kind that lead it (the server's text
// is "2026-01-02 15:04:05 connect user ..."): each is printed once.
func eventDetail(ev wire.UDEvent) string {
	text := ev.Text
	if len(text) > 20 && text[4] == '-' && text[10] == ' ' && text[13] == ':' && text[19] == ' ' {
		text = text[20:]
	}
	return strings.TrimPrefix(text, ev.Kind+" ")
}
