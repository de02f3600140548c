// Package e2e drives the Licensing Manager console in headless Chromium (chromedp) against
// real licd processes over HTTPS: the browser tests of the console ("Citrix Licensing
// Manager"). Chromium comes from Debian's chromium package (.ci/run installs it); without
// it the tests skip and say so loudly.
package e2e
