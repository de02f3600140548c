package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/licd/licd/license"
)

// The fulfilment service's entitlement store: what "Manage Licenses on citrix.com" keeps for a
// vendor. A license access code ("Use license access code") names a customer's entitlements,
// each a product, edition and model (the feature) with a quantity, a CSS date and an expiry;
// allocations bind part or all of an entitlement's quantity to one License Server host and are
// what the signed license files are made from; a returned allocation ("Return allocations")
// puts its licenses back. The store is one JSON file, changed under an exclusive lock (flock
// on FILE.lock) by the service and by `licgen entitle`/`licgen renew` alike, and written by a
// synced temporary file renamed over the old one, so a crash never leaves half a store.

// fulfilStoreVersion is the store file's format; a newer one is refused.
const fulfilStoreVersion = 1

// Store limits: what one store may hold, so that a request cannot make the service hold
// unbounded state.
const (
	maxStoreBytes       = 64 << 20
	maxCodes            = 100_000
	maxEntitlementsCode = 100
	maxAllocations      = 1_000_000
	maxQuantity         = 10_000_000
)

type fulfilStore struct {
	Version     int                    `json:"version"`
	Codes       map[string]*accessCode `json:"codes"`
	Allocations map[string]*allocation `json:"allocations"`
}

// accessCode is a license access code with its entitlements.
type accessCode struct {
	Code         string         `json:"code"`
	Customer     string         `json:"customer,omitempty"` // NOTICE= of the files issued
	Entitlements []*entitlement `json:"entitlements"`
}

// entitlement is one product of an access code.
type entitlement struct {
	ID           string `json:"id"` // "1", "2", ... within the code
	Feature      string `json:"feature"`
	Quantity     int    `json:"quantity"`
	CSS          string `json:"css"`    // YYYY.MMDD
	Expiry       string `json:"expiry"` // dd-mmm-yyyy or permanent
	VendorString string `json:"vendor_string"`
	Overdraft    int    `json:"overdraft"` // -1: the model's default
}

// allocation is part or all of an entitlement bound to a License Server host. Its ID is
// also the SN= of the license line issued for it, which is how a renewal lookup finds it.
type allocation struct {
	ID          string     `json:"id"`
	Code        string     `json:"code"`
	Entitlement string     `json:"entitlement"`
	Host        string     `json:"host"`
	Quantity    int        `json:"quantity"`
	Created     time.Time  `json:"created"`
	Returned    *time.Time `json:"returned,omitempty"`
}

// fulfilError is a refusal with the HTTP status it maps to.
type fulfilError struct {
	Status int
	Code   string
	Msg    string
}

func (e *fulfilError) Error() string { return e.Msg }

func ferr(status int, code, format string, args ...any) *fulfilError {
	return &fulfilError{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// storeFile is the store on disk: every operation loads it under the lock, changes it and
// writes it back.
type storeFile struct {
	path string
	mu   sync.Mutex // the lock file serialises processes; this, goroutines of one process
}

// update runs fn on the store under the lock and writes the store back when fn returns
// write true and no error.
func (s *storeFile) update(fn func(st *fulfilStore) (write bool, err error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	lock, err := os.OpenFile(s.path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("lock the entitlement store: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock the entitlement store %s: %w", s.path, err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	st, err := loadStore(s.path)
	if err != nil {
		return err
	}
	write, err := fn(st)
	if err != nil || !write {
		return err
	}
	return saveStore(s.path, st)
}

func (s *storeFile) read(fn func(st *fulfilStore) error) error {
	return s.update(func(st *fulfilStore) (bool, error) { return false, fn(st) })
}

func loadStore(path string) (*fulfilStore, error) {
	st := &fulfilStore{Version: fulfilStoreVersion, Codes: map[string]*accessCode{}, Allocations: map[string]*allocation{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the entitlement store: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxStoreBytes {
		return nil, fmt.Errorf("entitlement store %s has %d bytes, more than %d: archive returned allocations", path, fi.Size(), maxStoreBytes)
	}
	if err := json.NewDecoder(f).Decode(st); err != nil {
		return nil, fmt.Errorf("entitlement store %s is damaged (%v): restore it from a backup", path, err)
	}
	if st.Version > fulfilStoreVersion {
		return nil, fmt.Errorf("entitlement store %s has format %d, newer than this licgen's %d: use a newer licgen", path, st.Version, fulfilStoreVersion)
	}
	if st.Codes == nil {
		st.Codes = map[string]*accessCode{}
	}
	if st.Allocations == nil {
		st.Allocations = map[string]*allocation{}
	}
	return st, nil
}

func saveStore(path string, st *fulfilStore) error {
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return fmt.Errorf("encode the entitlement store: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".store-*")
	if err != nil {
		return fmt.Errorf("write the entitlement store: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write the entitlement store %s: %w", path, err)
	}
	return nil
}

// validCode accepts a license access code: 4 to 64 letters, digits and dashes.
func validCode(code string) error {
	if len(code) < 4 || len(code) > 64 {
		return ferr(400, "bad-code", "a license access code has 4 to 64 characters (letters, digits, dashes)")
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return ferr(400, "bad-code", "a license access code has only letters, digits and dashes")
		}
	}
	return nil
}

// validHost accepts a License Server host name as license files bind to it ("SERVER Line").
func validHost(h string) error {
	if h == "" || len(h) > 253 {
		return ferr(400, "bad-host", "give the License Server's host name (1 to 253 characters), as lmhostid -hostname prints it")
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return ferr(400, "bad-host", "host name %q has characters a host name cannot have", h)
		}
	}
	return nil
}

// validAllocID accepts an allocation id: 16 lower-case hex digits.
func validAllocID(id string) error {
	if len(id) != 16 {
		return ferr(400, "bad-allocation", "an allocation id has 16 hex digits")
	}
	if _, err := hex.DecodeString(id); err != nil || id != lowerASCII(id) {
		return ferr(400, "bad-allocation", "an allocation id has 16 lower-case hex digits")
	}
	return nil
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// available is what an entitlement has left after its active allocations.
func (st *fulfilStore) available(code string, e *entitlement) (avail, allocated int) {
	for _, a := range st.Allocations {
		if a.Code == code && a.Entitlement == e.ID && a.Returned == nil {
			allocated += a.Quantity
		}
	}
	return e.Quantity - allocated, allocated
}

func (st *fulfilStore) code(code string) (*accessCode, error) {
	if err := validCode(code); err != nil {
		return nil, err
	}
	ac := st.Codes[code]
	if ac == nil {
		return nil, ferr(404, "unknown-code", "license access code %q is not known: check the code in the e-mail from the vendor", code)
	}
	return ac, nil
}

func (ac *accessCode) entitlement(id string) (*entitlement, error) {
	for _, e := range ac.Entitlements {
		if e.ID == id {
			return e, nil
		}
	}
	return nil, ferr(404, "unknown-entitlement", "license access code %s has no entitlement %q (GET /v1/entitlements/%s lists them)", ac.Code, id, ac.Code)
}

// addEntitlement adds an entitlement to a code (made when new) and returns it.
func (st *fulfilStore) addEntitlement(code, customer string, e entitlement) (*entitlement, error) {
	if err := validCode(code); err != nil {
		return nil, err
	}
	if _, err := license.ModelOfFeature(e.Feature); err != nil {
		return nil, ferr(400, "bad-feature", "feature %q: %v", e.Feature, err)
	}
	if e.Quantity < 1 || e.Quantity > maxQuantity {
		return nil, ferr(400, "bad-quantity", "quantity %d: give 1 to %d licenses", e.Quantity, maxQuantity)
	}
	if _, err := license.ParseCSSDate(e.CSS); err != nil {
		return nil, ferr(400, "bad-css", "%v", err)
	}
	if _, _, err := license.ParseDate(e.Expiry); err != nil {
		return nil, ferr(400, "bad-expiry", "expiry: %v", err)
	}
	for what, v := range map[string]string{"customer": customer, "vendor string": e.VendorString} {
		if len(v) > 200 || strings.ContainsAny(v, "\"\\") || strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return nil, ferr(400, "bad-text", "%s %q: at most 200 characters, no quotes, backslashes or control characters", what, v)
		}
	}
	ac := st.Codes[code]
	if ac == nil {
		if len(st.Codes) >= maxCodes {
			return nil, ferr(409, "store-full", "the store holds %d access codes already", maxCodes)
		}
		ac = &accessCode{Code: code, Customer: customer}
		st.Codes[code] = ac
	}
	if customer != "" {
		ac.Customer = customer
	}
	if len(ac.Entitlements) >= maxEntitlementsCode {
		return nil, ferr(409, "code-full", "access code %s has %d entitlements already", code, maxEntitlementsCode)
	}
	e.ID = fmt.Sprint(len(ac.Entitlements) + 1)
	ne := e
	ac.Entitlements = append(ac.Entitlements, &ne)
	return &ne, nil
}

// renew gives an entitlement a later CSS date (a Customer Success Services renewal): its
// allocations are then issued with it, and a renewal lookup offers it.
func (st *fulfilStore) renew(code, id, css string) (*entitlement, error) {
	ac, err := st.code(code)
	if err != nil {
		return nil, err
	}
	e, err := ac.entitlement(id)
	if err != nil {
		return nil, err
	}
	nd, err := license.ParseCSSDate(css)
	if err != nil {
		return nil, ferr(400, "bad-css", "%v", err)
	}
	old, _ := license.ParseCSSDate(e.CSS)
	if nd <= old {
		return nil, ferr(409, "not-later", "CSS date %s is not later than the entitlement's %s: a renewal moves it forward", css, e.CSS)
	}
	e.CSS = css
	return e, nil
}

// allocate binds qty licenses of an entitlement to host ("Allocate licenses": the Binding ID
// and how many licenses to allocate).
func (st *fulfilStore) allocate(code, entID, host string, qty int, now time.Time) (*allocation, error) {
	ac, err := st.code(code)
	if err != nil {
		return nil, err
	}
	e, err := ac.entitlement(entID)
	if err != nil {
		return nil, err
	}
	if err := validHost(host); err != nil {
		return nil, err
	}
	avail, _ := st.available(code, e)
	if qty < 1 {
		return nil, ferr(400, "bad-quantity", "quantity %d: allocate at least one license (%d available)", qty, avail)
	}
	if qty > avail {
		return nil, ferr(409, "not-enough", "%d licenses of %s asked for, %d available: return an allocation or allocate fewer", qty, e.Feature, avail)
	}
	if len(st.Allocations) >= maxAllocations {
		return nil, ferr(409, "store-full", "the store holds %d allocations already", maxAllocations)
	}
	var id string
	for {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("make an allocation id: %w", err)
		}
		id = hex.EncodeToString(b[:])
		if st.Allocations[id] == nil {
			break
		}
	}
	a := &allocation{ID: id, Code: code, Entitlement: e.ID, Host: host, Quantity: qty, Created: now.UTC()}
	st.Allocations[id] = a
	return a, nil
}

// returnAllocation puts an allocation's licenses back ("Return allocations").
func (st *fulfilStore) returnAllocation(code, id string, now time.Time) (*allocation, error) {
	if _, err := st.code(code); err != nil {
		return nil, err
	}
	a, err := st.allocation(id)
	if err != nil {
		return nil, err
	}
	if a.Code != code {
		return nil, ferr(404, "unknown-allocation", "access code %s has no allocation %s", code, id)
	}
	if a.Returned != nil {
		return nil, ferr(409, "returned", "allocation %s was returned on %s already", id, a.Returned.Format(time.RFC3339))
	}
	t := now.UTC()
	a.Returned = &t
	return a, nil
}

func (st *fulfilStore) allocation(id string) (*allocation, error) {
	if err := validAllocID(id); err != nil {
		return nil, err
	}
	a := st.Allocations[id]
	if a == nil {
		return nil, ferr(404, "unknown-allocation", "no allocation %s", id)
	}
	return a, nil
}

// allocationsOf lists a code's allocations, oldest first.
func (st *fulfilStore) allocationsOf(code string) []*allocation {
	var out []*allocation
	for _, a := range st.Allocations {
		if a.Code == code {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// installedLine is what a License Server says it has installed, for a renewal lookup.
type installedLine struct {
	SN      string `json:"sn"`
	Feature string `json:"feature"`
	CSS     string `json:"css"`
}

// renewalOffer is a newer CSS date for an installed line ("Check for and install Customer
// Success Services renewal licenses").
type renewalOffer struct {
	SN           string `json:"sn"`
	Allocation   string `json:"allocation"`
	Feature      string `json:"feature"`
	Quantity     int    `json:"quantity"`
	CSS          string `json:"css"`
	InstalledCSS string `json:"installed_css"`
	Expiry       string `json:"expiry"`
	LicenseURL   string `json:"license_url"`
}

// renewals finds, for the lines a host has installed, the active allocations to that host
// whose entitlement has a later CSS date. Lines of other vendors' SNs are ignored.
func (st *fulfilStore) renewals(host string, lines []installedLine) ([]renewalOffer, error) {
	if err := validHost(host); err != nil {
		return nil, err
	}
	out := []renewalOffer{}
	seen := map[string]bool{}
	for i, l := range lines {
		css, err := license.ParseCSSDate(l.CSS)
		if err != nil {
			return nil, ferr(400, "bad-css", "installed[%d]: %v", i, err)
		}
		if validAllocID(l.SN) != nil || seen[l.SN] {
			continue // not one of ours
		}
		a := st.Allocations[l.SN]
		if a == nil || a.Returned != nil || a.Host != host {
			continue
		}
		ac := st.Codes[a.Code]
		if ac == nil {
			continue
		}
		e, err := ac.entitlement(a.Entitlement)
		if err != nil || e.Feature != l.Feature {
			continue
		}
		newer, err := license.ParseCSSDate(e.CSS)
		if err != nil || newer <= css {
			continue
		}
		seen[l.SN] = true
		out = append(out, renewalOffer{SN: a.ID, Allocation: a.ID, Feature: e.Feature, Quantity: a.Quantity, CSS: e.CSS,
			InstalledCSS: l.CSS, Expiry: e.Expiry, LicenseURL: "/v1/allocations/" + a.ID + "/license"})
	}
	return out, nil
}

// licenseFile issues the signed license file of an active allocation, with the
// entitlement's current CSS date.
func (st *fulfilStore) licenseFile(id string, priv []byte, now time.Time) (string, error) {
	a, err := st.allocation(id)
	if err != nil {
		return "", err
	}
	if a.Returned != nil {
		return "", ferr(410, "returned", "allocation %s was returned on %s: allocate again", id, a.Returned.Format(time.RFC3339))
	}
	ac := st.Codes[a.Code]
	if ac == nil {
		return "", ferr(404, "unknown-code", "the access code of allocation %s is gone", id)
	}
	e, err := ac.entitlement(a.Entitlement)
	if err != nil {
		return "", err
	}
	css, err := license.ParseCSSDate(e.CSS)
	if err != nil {
		return "", err
	}
	exp, perm, err := license.ParseDate(e.Expiry)
	if err != nil {
		return "", err
	}
	day := now.UTC().Truncate(24 * time.Hour)
	ls := license.LineSpec{Feature: e.Feature, Count: a.Quantity, CSS: css, Expiry: exp, Permanent: perm,
		Overdraft: e.Overdraft, VendorString: e.VendorString, Notice: ac.Customer, SN: a.ID, Issued: day, DupGroup: "V"}
	return license.IssueFile(license.IssueSpec{HostName: a.Host, Lines: []license.LineSpec{ls}}, priv)
}
