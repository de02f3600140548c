package main

import (
	"fmt"
	"time"
)

// checkoutTime is a checkout's start as lmstat prints it: "start Wed 3/17 11:56" (the
// manual's breakdown table); the hour is not zero-padded ("start Fri 10/20 8:33").
func checkoutTime(t time.Time) string {
	t = t.Local()
	return fmt.Sprintf("%s %d/%d %d:%02d", t.Format("Mon"), int(t.Month()), t.Day(), t.Hour(), t.Minute())
}

// statusTime is the date of lmstat's header: "Flexible License Manager status on Tue
// 5/15/2018 13:41".
func statusTime(t time.Time) string {
	t = t.Local()
	return fmt.Sprintf("%s %d/%d/%d %02d:%02d", t.Format("Mon"), int(t.Month()), t.Day(), t.Year(), t.Hour(), t.Minute())
}

// ctime is udadmin's timestamp: "(Thu Sep 14 13:41:07 2017)".
func ctime(t time.Time) string { return t.Local().Format("Mon Jan _2 15:04:05 2006") }
