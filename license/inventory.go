package license

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// LoadOptions are what loading license files depends on; nothing is read from the
// environment, so loading is deterministic.
type LoadOptions struct {
	Host   HostIdentity        // the machine the files must be bound to
	Keys   []ed25519.PublicKey // vendor public keys; a line must verify with one of them
	Now    time.Time           // decides START (Pending) and expiry (Expired)
	Vendor string              // the vendor daemon served; "" means CITRIX
}

// Rejection is a line (or a whole file, Line 0) that was not loaded, and why.
type Rejection struct {
	File    string
	Line    int
	Feature string
	Reason  string
}

func (r Rejection) String() string {
	s := r.File
	if r.Line > 0 {
		s = fmt.Sprintf("%s:%d", r.File, r.Line)
	}
	if r.Feature != "" {
		s += ": " + r.Feature
	}
	return s + ": " + r.Reason
}

// Pool is a group of INCREMENT lines served as one: "INCREMENT lines also determine the
// grouping of licenses ... These groups are known as license pools. The Citrix vendor daemon
// creates the license pools based on common attributes, such as product license or version."
//
// licd groups lines that agree on all of: feature, version (the CSS date), expiry date (or
// permanent), VENDOR_STRING, DUP_GROUP and counted/uncounted. Those decide how a license may
// be used: which product versions it serves, until when, with which vendor-defined terms, and
// how it is shared. Attributes that only describe the purchase (ISSUED, START, SN, NOTICE,
// ISSUER) and the counts do not split a pool, so buying more of the same license grows the
// pool it joins.
type Pool struct {
	// ID is stable across rereads and restarts: FEATURE/CSS/8 hex digits of a SHA-256 over
	// the grouping attributes (FEATURE/version/... when the version is not a CSS date).
	ID           string
	Feature      string
	Model        Model
	CSS          CSSDate
	Expiry       time.Time
	Permanent    bool
	Count        int // purchased licenses, summed over the pool's lines
	Overdraft    int // OVERDRAFT= summed over the lines (LIC-3651); 0 for models without overdraft
	Uncounted    bool
	VendorString string
	DupGroup     string
	Lines        []*Line
}

// Installed is the purchased count plus the overdraft: "The installed column displays both the
// purchased license total plus the associated overdraft total" ("License overdraft").
func (p *Pool) Installed() int { return p.Count + p.Overdraft }

// Inventory is the result of loading license files.
type Inventory struct {
	Files      []string
	Pools      []*Pool // sorted by feature, CSS date, ID
	Pending    []*Line // START after Now: "not displayed in the License Server inventory until the actual start date"
	Expired    []*Line // past the end of their expiry day
	Superseded []*Line // switched off by SUPERSEDE or SUPERSEDE_SIGN
	Rejected   []Rejection
	// Friendly maps a feature to its product name from #CITRIXTERM comments (English when a
	// file gives several languages).
	Friendly map[string]FriendlyName
}

// LoadDir loads the license files of a directory: files whose name ends in ".lic" in lower
// case ("You can change the name of the license file, but it must have a .lic (lower case)
// extension"). A file ending in another case of ".lic" is reported as a Rejection; other
// files (CITRIX.opt, ...) are not license files and are skipped.
func LoadDir(dir string, opt LoadOptions) (*Inventory, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read license directory: %w", err)
	}
	var paths []string
	var ignored []Rejection
	for _, e := range entries {
		// A directory named x.lic is kept: reading it is refused with its reason.
		name := e.Name()
		if len(name) < 4 {
			continue
		}
		ext := name[len(name)-4:]
		switch {
		case ext == ".lic":
			paths = append(paths, filepath.Join(dir, name))
		case strings.EqualFold(ext, ".lic"):
			ignored = append(ignored, Rejection{File: filepath.Join(dir, name),
				Reason: fmt.Sprintf("ignored: a license file's extension must be .lic in lower case (\"License file format\"); rename it to %s.lic", name[:len(name)-4])})
		}
	}
	inv, err := LoadFiles(paths, opt)
	if err != nil {
		return nil, err
	}
	inv.Rejected = append(ignored, inv.Rejected...)
	return inv, nil
}

// LoadFiles loads license files: every line is checked (vendor, host binding, signature,
// license model, CSS date), SUPERSEDE and SUPERSEDE_SIGN switch lines off, and the lines in
// use are grouped into pools. Problems with a line reject that line only, and a file that
// cannot be read (not a regular file, over MaxFileBytes, unreadable) is a Rejection of that
// file only: every other file still loads.
func LoadFiles(paths []string, opt LoadOptions) (*Inventory, error) {
	if opt.Now.IsZero() {
		return nil, fmt.Errorf("load licenses: LoadOptions.Now is zero; pass the current time")
	}
	if opt.Vendor == "" {
		opt.Vendor = CitrixVendor
	}
	inv := &Inventory{Friendly: map[string]FriendlyName{}}
	var accepted []*Line
	seen := map[[2]string]*Line{}
	for _, path := range paths {
		f, err := ParseFile(path)
		if err != nil {
			inv.Rejected = append(inv.Rejected, Rejection{File: path, Reason: readRefusal(err)})
			continue
		}
		inv.Files = append(inv.Files, path)
		for _, e := range f.Errors {
			reason := e.Msg
			if e.Hint != "" {
				reason += "; " + e.Hint
			}
			inv.Rejected = append(inv.Rejected, Rejection{File: e.File, Line: e.Line, Reason: reason})
		}
		for _, fn := range f.Friendly {
			if old, ok := inv.Friendly[fn.Feature]; !ok || (old.Lang != "EN" && fn.Lang == "EN") {
				inv.Friendly[fn.Feature] = fn
			}
		}
		if reason := fileRejection(f, opt); reason != "" {
			if len(f.Lines) == 0 {
				inv.Rejected = append(inv.Rejected, Rejection{File: f.Path, Reason: reason})
			}
			for _, l := range f.Lines {
				inv.Rejected = append(inv.Rejected, Rejection{File: l.File, Line: l.LineNo, Feature: l.Feature, Reason: reason})
			}
			continue
		}
		for _, l := range f.Lines {
			if reason := lineRejection(l, opt); reason != "" {
				inv.Rejected = append(inv.Rejected, Rejection{File: l.File, Line: l.LineNo, Feature: l.Feature, Reason: reason})
				continue
			}
			key := [2]string{l.Feature, l.Sign}
			if first, dup := seen[key]; dup {
				inv.Rejected = append(inv.Rejected, Rejection{File: l.File, Line: l.LineNo, Feature: l.Feature,
					Reason: fmt.Sprintf("the same license line is already loaded from %s; each line counts once: delete the copied file", first.Where())})
				continue
			}
			seen[key] = l
			accepted = append(accepted, l)
		}
	}
	superseded := supersededLines(accepted, opt.Now)
	groups := map[string]*Pool{}
	for _, l := range accepted {
		switch {
		case superseded[l]:
			inv.Superseded = append(inv.Superseded, l)
		case l.Pending(opt.Now):
			inv.Pending = append(inv.Pending, l)
		case l.Expired(opt.Now):
			inv.Expired = append(inv.Expired, l)
		default:
			addToPool(groups, l)
		}
	}
	for _, p := range groups {
		inv.Pools = append(inv.Pools, p)
	}
	slices.SortFunc(inv.Pools, func(a, b *Pool) int {
		if c := strings.Compare(a.Feature, b.Feature); c != 0 {
			return c
		}
		if a.CSS != b.CSS {
			return int(a.CSS) - int(b.CSS)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return inv, nil
}

// fileRejection returns why none of a file's lines can load, or "".
func fileRejection(f *File, opt LoadOptions) string {
	var hostnameLines []string
	for _, s := range f.Servers {
		if s.HostName != "" {
			hostnameLines = append(hostnameLines, fmt.Sprint(s.LineNo))
		}
	}
	if len(hostnameLines) > 1 {
		// "License file issues": "The License Server ignores license files that have multiple
		// lines referencing HOSTNAME=."
		return fmt.Sprintf("the file is ignored: it has %d SERVER lines with HOSTNAME= (lines %s) (\"License file issues\"); download separate license files for each License Server host name",
			len(hostnameLines), strings.Join(hostnameLines, ", "))
	}
	if len(f.Servers) == 0 {
		return "the file has no SERVER line binding it to a License Server; download the license file allocated to this server's host name"
	}
	var reasons []string
	for _, s := range f.Servers {
		ok, why := opt.Host.Matches(s)
		if ok {
			return ""
		}
		reasons = append(reasons, fmt.Sprintf("line %d: %s", s.LineNo, why))
	}
	return "the file is for another License Server: " + strings.Join(reasons, "; ")
}

// lineRejection returns why one line cannot load, or "".
func lineRejection(l *Line, opt LoadOptions) string {
	if l.Vendor != opt.Vendor {
		return fmt.Sprintf("the line is for vendor daemon %q, and this server is the %s vendor daemon; give this file to the %s license server", l.Vendor, opt.Vendor, l.Vendor)
	}
	if l.HostID != "" {
		if ok, why := opt.Host.matchesHostIDAttr(l.HostID); !ok {
			return why
		}
	}
	if err := VerifyLine(opt.Keys, l); err != nil {
		// VerifyLine's message starts with the line's place, which the Rejection already has
		return strings.TrimPrefix(err.Error(), fmt.Sprintf("%s:%d: %s: ", l.File, l.LineNo, l.Feature))
	}
	if _, err := ModelOfFeature(l.Feature); err != nil {
		return err.Error()
	}
	if l.CSS == 0 {
		return fmt.Sprintf("version %q is not a Customer Success Services date YYYY.MMDD (\"INCREMENT Lines\": CSS_expiry_date); get a current license file", l.Version)
	}
	return ""
}

// issuedOf is the date SUPERSEDE compares: ISSUED, else START, else zero (oldest).
func issuedOf(l *Line) time.Time {
	if !l.Issued.IsZero() {
		return l.Issued
	}
	return l.Start
}

// supersededLines applies SUPERSEDE and SUPERSEDE_SIGN. Only lines in effect at now (started,
// not expired) switch others off, so a renewal that starts next month does not take away
// today's licenses.
//   - SUPERSEDE="A B": "this line supersedes all licenses issued before the date specified in
//     ISSUED= and they become ineffective": lines of features A, B issued (ISSUED, else START)
//     strictly before this line's ISSUED (else START) date; a line without either date
//     supersedes nothing.
//   - SUPERSEDE_SIGN={"F:SIGN"}: "turns off specific licenses based on license feature and
//     signature": the line of feature F with that signature.
func supersededLines(lines []*Line, now time.Time) map[*Line]bool {
	out := map[*Line]bool{}
	bySign := map[[2]string]*Line{}
	byFeature := map[string][]*Line{}
	for _, l := range lines {
		bySign[[2]string{l.Feature, l.Sign}] = l
		byFeature[l.Feature] = append(byFeature[l.Feature], l)
	}
	for _, s := range lines {
		if s.Pending(now) || s.Expired(now) {
			continue
		}
		if issued := issuedOf(s); !issued.IsZero() {
			for _, feature := range s.Supersede {
				for _, l := range byFeature[feature] {
					if l != s && issuedOf(l).Before(issued) {
						out[l] = true
					}
				}
			}
		}
		for _, ref := range s.SupersedeSign {
			if l := bySign[[2]string{ref.Feature, ref.Sign}]; l != nil && l != s {
				out[l] = true
			}
		}
	}
	return out
}

func addToPool(groups map[string]*Pool, l *Line) {
	version := l.CSS.String()
	if l.CSS == 0 {
		version = l.Version
	}
	expiry := formatExpiry(l.Expiry, l.Permanent)
	vs := collapseSpace(l.VendorString.Raw)
	key := strings.Join([]string{l.Feature, l.Vendor, version, expiry, vs, l.DupGroup, fmt.Sprint(l.Uncounted)}, "\x00")
	p := groups[key]
	if p == nil {
		sum := sha256.Sum256([]byte(key))
		model, _ := ModelOfFeature(l.Feature)
		p = &Pool{ID: l.Feature + "/" + version + "/" + hex.EncodeToString(sum[:4]), Feature: l.Feature, Model: model, CSS: l.CSS,
			Expiry: l.Expiry, Permanent: l.Permanent, Uncounted: l.Uncounted, VendorString: vs, DupGroup: l.DupGroup}
		groups[key] = p
	}
	p.Lines = append(p.Lines, l)
	p.Count += l.Count
	if p.Model.HasOverdraft() {
		// LIC-3651: the overdraft of every line of the pool adds up, not only the first's.
		p.Overdraft += l.Overdraft
	}
}

// PoolsOf returns the pools of a feature, oldest CSS date first.
func (inv *Inventory) PoolsOf(feature string) []*Pool {
	var out []*Pool
	for _, p := range inv.Pools {
		if p.Feature == feature {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b *Pool) int { return int(a.CSS) - int(b.CSS) })
	return out
}

// Features returns the features that have pools, sorted.
func (inv *Inventory) Features() []string {
	var out []string
	for _, p := range inv.Pools {
		if len(out) == 0 || out[len(out)-1] != p.Feature {
			out = append(out, p.Feature)
		}
	}
	return out
}

// readRefusal is why a license file was not read, without its path (the Rejection has it).
func readRefusal(err error) string {
	if re := (*RefusedError)(nil); errors.As(err, &re) {
		return "not read: it is " + re.Reason + "; only regular license files are read: move it out of the license directory"
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return fmt.Sprintf("not read: %v: check that the license server can read it", pe.Err)
	}
	return "not read: " + err.Error()
}
